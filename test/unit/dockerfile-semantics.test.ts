import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBuildContext, sourceFiles } from '../../src/dockerfile/build-context.js';
import { DockerIgnore } from '../../src/dockerfile/dockerignore.js';
import { copyView, parseModel, resolvePath, runScripts } from '../../src/dockerfile/instruction-model.js';
import { commandName, splitCommands } from '../../src/dockerfile/shell-command.js';
import { expandVars, parseKeyValues, processWord } from '../../src/dockerfile/variables.js';

test('variables: Dockerfile substitution forms; unknown names stay as written', () => {
  const vars = new Map([['A', 'x'], ['EMPTY', '']]);
  assert.equal(expandVars('$A/${A}/${A:-d}/${EMPTY:-d}/${EMPTY-d}/${A:+y}/${NOPE:+y}/${NOPE}/$NOPE', vars), 'x/x/x/d//y//${NOPE}/$NOPE');
  assert.equal(expandVars('\\$A', vars), '$A');
  assert.deepEqual(parseKeyValues('A=1 B="two words" C=\'3\' D', false), [
    { key: 'A', value: '1' }, { key: 'B', value: 'two words' }, { key: 'C', value: '3' }, { key: 'D', value: undefined }]);
  assert.deepEqual(parseKeyValues('LEGACY some value', true), [{ key: 'LEGACY', value: 'some value' }]);
});

test('model: stages, exported chain, ARG/ENV/WORKDIR resolution with build args and --target', () => {
  const m = parseModel([
    'ARG BASE=alpine', 'FROM ${BASE} AS deps', 'ENV APP=/srv/app', 'WORKDIR $APP', 'COPY . .',
    'FROM deps AS build', 'RUN make', 'FROM busybox AS final', 'ARG BASE', 'COPY --from=build /srv/app /app', ''].join('\n'), { buildArgs: { BASE: 'debian' } });
  assert.deepEqual(m.stages.map((s) => [s.name, s.base, s.baseStage]), [['deps', 'debian', undefined], ['build', 'deps', 0], ['final', 'busybox', undefined]]);
  assert.deepEqual([...m.exported], [2]);
  const copy = copyView(m.stages[0]!.steps[2]!)!;
  assert.equal(copy.destPath, '/srv/app');
  assert.equal(m.stages[1]!.steps[0]!.workdir, '/srv/app');
  assert.equal(m.stages[2]!.steps[1]!.vars.get('BASE'), 'debian');
  assert.equal(copyView(m.stages[2]!.steps[1]!)!.from, 'build');
  const t = parseModel('FROM a AS one\nFROM one AS two\nFROM b\n', { target: 'two' });
  assert.deepEqual([...t.exported].sort(), [0, 1]);
  assert.equal(resolvePath('../x/./y/', '/a/b'), '/a/x/y');
});

test('shell: commands, separators, quotes and program names', () => {
  const cmds = splitCommands(`set -e; sudo -E chown -R "app user":app /app && DEBIAN_FRONTEND=x apt-get install -y 'a b' || true\nfind /a -type f 2>&1 | xargs chmod 644 & wait`);
  assert.deepEqual(cmds.map((c) => commandName(c).name), ['set', 'chown', 'apt-get', 'true', 'find', 'xargs', 'wait']);
  assert.deepEqual(cmds.map((c) => c.after), [';', '&&', '||', '\n', '|', '&', '']);
  assert.equal(cmds[1]!.words[4]!.value, 'app user:app');
  assert.equal(cmds[2]!.words[4]!.value, 'a b');
  assert.deepEqual(splitCommands('echo "unterminated').map((c) => c.words.map((w) => w.value)), [['echo', 'unterminated']]);
});

test('runScripts: heredoc bodies run by a shell are the script; inline otherwise', () => {
  const m = parseModel('FROM a\nRUN <<EOF\nchown -R app /app\nEOF\nRUN python3 <<EOF\nprint(1)\nEOF\nRUN echo hi\n');
  const [h, py, inline] = m.stages[0]!.steps.map((s) => runScripts(s));
  assert.equal(h![0]!.text, 'chown -R app /app\n');
  assert.equal(h![0]!.inline, false);
  assert.equal(py![0]!.text, 'python3 <<EOF');
  assert.equal(inline![0]!.text, 'echo hi');
});

test('dockerignore: moby semantics (last match wins, ! exceptions, **, parents, leading /)', () => {
  const ig = DockerIgnore.parse('# comment\n/node_modules\n**/*.log\n!keep.log\nbuild/*\n!build/keep/\n.git\ndocs/**/draft?.md\n');
  assert.equal(ig.excludes('node_modules/x/y.js'), true);
  assert.equal(ig.excludes('src/node_modules/x'), false);
  assert.equal(ig.excludes('a/b/c.log'), true);
  assert.equal(ig.excludes('keep.log'), false);
  assert.equal(ig.excludes('build/out.js'), true);
  assert.equal(ig.excludes('build/keep/file'), false);
  assert.equal(ig.excludes('.git/HEAD'), true);
  assert.equal(ig.excludes('docs/a/b/draft1.md'), true);
  assert.equal(ig.excludes('docs/draft1.md'), true);
  assert.equal(ig.excludes('src/main.ts'), false);
  assert.equal(ig.hasExceptions, true);
});

test('build context: walks with .dockerignore, sizes COPY sources, finds .git and node_modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-ctx-unit-'));
  try {
    mkdirSync(join(dir, 'src/sub'), { recursive: true });
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, 'node_modules/pkg'), { recursive: true });
    writeFileSync(join(dir, 'src/a.js'), 'x'.repeat(10));
    writeFileSync(join(dir, 'src/sub/b.js'), 'x'.repeat(20));
    writeFileSync(join(dir, '.git/HEAD'), 'x'.repeat(5));
    writeFileSync(join(dir, 'node_modules/pkg/i.js'), 'x'.repeat(100));
    writeFileSync(join(dir, 'app.log'), 'x'.repeat(7));
    let ctx = readBuildContext(dir);
    assert.equal(ctx.ignore, undefined);
    assert.equal(ctx.bytes, 142);
    assert.equal(ctx.sent.git?.size, 5);
    assert.equal(ctx.sent.nodeModules?.size, 100);
    assert.deepEqual(sourceFiles(ctx, 'src'), { files: 2, bytes: 30 });
    assert.deepEqual(sourceFiles(ctx, './src/sub/'), { files: 1, bytes: 20 });
    assert.deepEqual(sourceFiles(ctx, 'src/*.js'), { files: 1, bytes: 10 });
    assert.deepEqual(sourceFiles(ctx, '.'), { files: 5, bytes: 142 });
    const ignore = '.git\nnode_modules\n*.log\n';
    writeFileSync(join(dir, '.dockerignore'), ignore);
    ctx = readBuildContext(dir);
    // the .dockerignore itself is sent
    assert.equal(ctx.bytes, 30 + ignore.length);
    assert.equal(ctx.sent.git, undefined);
    assert.equal(ctx.sent.nodeModules, undefined);
    assert.equal(ctx.excludedBytes, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('variables: values after BuildKit quote removal; nesting and size limits are findings, not crashes', () => {
  const m = parseModel("FROM a\nARG A=''\nENV X=\"a\\\"b\" Y=1\nENV GOPATH C:\\\\go\nENV Q='x y'\"$X\" E=$GOPATH\nRUN true\n");
  const vars = m.stages[0]!.steps[4]!.vars;
  assert.deepEqual([...vars], [['A', ''], ['X', 'a"b'], ['Y', '1'], ['GOPATH', 'C:\\go'], ['Q', 'x ya"b'], ['E', 'C:\\go']]);
  // All values of one ENV see the variables as they were before it.
  assert.equal(parseModel('FROM a\nENV A=1\nENV A=2 B=$A\nRUN x\n').stages[0]!.steps[2]!.vars.get('B'), '1');
  let nested = 'x';
  for (let i = 0; i < 2000; i++) nested = `\${A:-${nested}}`;
  const deep = parseModel(`FROM a\nARG A=${nested}\nRUN true\n`);
  assert.ok(deep.ast.problems.some((p) => p.kind === 'limit' && /nested/.test(p.message)));
  assert.equal(expandVars(nested, new Map()), nested);
  // Doubling a value 40 times would need terabytes: expansion stops with a finding.
  const doubling = ['FROM a', 'ENV A=xxxxxxxxxxxxxxxx', ...Array.from({ length: 40 }, () => 'ENV A=$A$A'), 'RUN true'].join('\n');
  const big = parseModel(doubling);
  assert.ok(big.ast.problems.some((p) => p.kind === 'limit'));
  assert.deepEqual(parseKeyValues("A='' B=\"a\\\"b\" C", false), [{ key: 'A', value: '' }, { key: 'B', value: 'a"b' }, { key: 'C', value: undefined }]);
  assert.deepEqual(parseKeyValues('GOPATH C:\\\\go', true), [{ key: 'GOPATH', value: 'C:\\go' }]);
});

test('variables: BuildKit pattern substitutions, in linear time', () => {
  const vars = new Map([['F', 'dir/sub/file.tar.gz'], ['S', 'a-b-c'], ['L', 'a'.repeat(100_000)]]);
  const w = (s: string) => processWord(s, vars).value;
  assert.deepEqual([w('${F%.*}'), w('${F%%.*}'), w('${F#*/}'), w('${F##*/}'), w('${S/-/_}'), w('${S//-/_}'), w('${S/#a/x}'), w('${S/x/y}')],
    ['dir/sub/file.tar', 'dir/sub/file', 'sub/file.tar.gz', 'file.tar.gz', 'a_b-c', 'a_b_c', 'a-b-c', 'a-b-c']);
  assert.deepEqual([w("'$F'"), w('"$S"x'), w('\\$S'), w('${NOPE:-d}'), w('${NOPE}')], ['$F', 'a-b-cx', '$S', '${NOPE:-d}', '${NOPE}']);
  assert.equal(processWord('"open', vars).error, 'unexpected end of statement while looking for matching double-quote');
  // A backtracking engine takes exponential time here; the automaton takes O(n x pattern).
  const t0 = process.cpuUsage();
  assert.equal(w('${L%*a*a*a*a*b}').length, 100_000);
  const used = process.cpuUsage(t0);
  assert.ok(used.user + used.system < 2_000_000, `pattern match took ${used.user + used.system} µs of CPU`);
});
