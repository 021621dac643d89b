import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, restWords } from '../../src/dockerfile/parser.js';

const rangeOf = (text: string, span: { start: number; end: number }) => parseDockerfile(text).source.range(span);

test('parser: keywords, args, flags and exact ranges', () => {
  const text = 'FROM alpine:3.19 AS base\ncopy --chown=app:app --link src/ /app/\nRUN echo hi\n';
  const ast = parseDockerfile(text);
  assert.deepEqual(ast.instructions.map((i) => i.keyword), ['FROM', 'COPY', 'RUN']);
  const copy = ast.instructions[1]!;
  assert.deepEqual(copy.flags.map((f) => [f.name, f.value]), [['chown', 'app:app'], ['link', undefined]]);
  assert.equal(copy.rest, 'src/ /app/');
  assert.deepEqual(ast.source.range(copy.keywordSpan), { startLine: 2, startColumn: 1, endLine: 2, endColumn: 4 });
  assert.deepEqual(ast.source.range(copy.flags[0]!.span), { startLine: 2, startColumn: 6, endLine: 2, endColumn: 20 });
  assert.deepEqual(restWords(copy).map((w) => [w.text, ast.source.range(w.span).startColumn]), [['src/', 29], ['/app/', 34]]);
  assert.deepEqual(ast.source.range(copy.span), { startLine: 2, startColumn: 1, endLine: 2, endColumn: 38 });
});

test('parser: continuations join lines, skip comment and blank lines inside, and keep physical offsets', () => {
  const text = 'RUN apt-get update \\\n    # a comment inside\n\n    && apt-get install -y curl\nCMD ["sh"]\n';
  const ast = parseDockerfile(text);
  assert.equal(ast.instructions.length, 2);
  const run = ast.instructions[0]!;
  assert.equal(run.logical, 'RUN apt-get update     && apt-get install -y curl');
  assert.equal(run.startLine, 0);
  assert.equal(run.endLine, 3);
  const at = run.logical.indexOf('curl');
  assert.equal(text.slice(run.map[at]!, run.map[at]! + 4), 'curl');
  assert.deepEqual(ast.source.range(run.span), { startLine: 1, startColumn: 1, endLine: 4, endColumn: 30 });
  assert.deepEqual(ast.instructions[1]!.json, ['sh']);
  assert.ok(ast.comments.some((c) => c.text === '# a comment inside'));
});

test('parser: parser directives only at the top; escape directive switches the continuation character', () => {
  const text = '# syntax=docker/dockerfile:1\n# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n  && echo done\n# escape=\\\n';
  const ast = parseDockerfile(text);
  assert.deepEqual(ast.directives.map((d) => [d.name, d.value]), [['syntax', 'docker/dockerfile:1'], ['escape', '`']]);
  assert.equal(ast.escape, '`');
  assert.equal(ast.instructions[1]!.logical, 'RUN dir c:\\   && echo done');
  const late = parseDockerfile('FROM a\n# escape=`\nRUN x `\n');
  assert.equal(late.directives.length, 0);
  assert.equal(late.escape, '\\');
  const blankFirst = parseDockerfile('\n# escape=`\nFROM a\n');
  assert.equal(blankFirst.escape, '\\');
  assert.equal(parseDockerfile('# escape=x\nFROM a\n').problems[0]!.kind, 'escape-directive');
});

test('parser: CRLF line endings and a BOM give the same instructions and columns as LF', () => {
  const lf = 'FROM a\nRUN echo 1 \\\n  && echo 2\nCOPY x /y\n';
  const crlf = `\uFEFF${lf.replace(/\n/g, '\r\n')}`;
  const a = parseDockerfile(lf);
  const b = parseDockerfile(crlf);
  assert.equal(b.source.hadBom, true);
  assert.equal(b.source.eol, '\r\n');
  assert.deepEqual(b.instructions.map((i) => i.logical), a.instructions.map((i) => i.logical));
  assert.deepEqual(b.instructions.map((i) => b.source.range(i.span)), a.instructions.map((i) => a.source.range(i.span)));
});

test('parser: heredocs (several, <<-, quoted) consume their bodies; an unterminated one is a problem', () => {
  const text = 'FROM a\nRUN <<EOF cat >/x <<-"END"\necho one\nEOF\n\tsecond\n\tEND\nCOPY <<conf /etc/app.conf\nkey=value\nconf\nRUN true\n';
  const ast = parseDockerfile(text);
  assert.deepEqual(ast.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'COPY', 'RUN']);
  const run = ast.instructions[1]!;
  assert.deepEqual(run.heredocs.map((h) => [h.name, h.stripTabs, h.quoted, h.body]), [['EOF', false, false, 'echo one\n'], ['END', true, true, '\tsecond\n']]);
  assert.equal(run.endLine, 5);
  assert.deepEqual(rangeOf(text, run.heredocs[1]!.markerSpan), { startLine: 2, startColumn: 19, endLine: 2, endColumn: 26 });
  assert.equal(ast.instructions[2]!.heredocs[0]!.body, 'key=value\n');
  const open = parseDockerfile('FROM a\nRUN <<EOF\necho never closed\n');
  assert.equal(open.problems[0]!.kind, 'unterminated-heredoc');
  assert.equal(open.instructions[1]!.heredocs[0]!.terminated, false);
  // `<<<` is a bash here-string, not a heredoc
  assert.equal(parseDockerfile('RUN cat <<<EOF\nFROM a\n').instructions.length, 2);
});

test('parser: ONBUILD wraps an instruction; leading comments are attached', () => {
  const ast = parseDockerfile('FROM a\n# stowage ignore=dockerfile/add-local\nONBUILD ADD . /app\n');
  const ob = ast.instructions[1]!;
  assert.equal(ob.onbuild?.keyword, 'ADD');
  assert.equal(ob.onbuild?.rest, '. /app');
  assert.equal(ob.leadingComments[0]!.text, '# stowage ignore=dockerfile/add-local');
});

test('parser: never throws on empty, whitespace, binary and pathological input', () => {
  assert.equal(parseDockerfile('').instructions.length, 0);
  assert.equal(parseDockerfile('\n\n   \n').instructions.length, 0);
  assert.equal(parseDockerfile('\\').instructions.length, 1);
  assert.equal(parseDockerfile('RUN a \\').instructions[0]!.logical, 'RUN a ');
  assert.equal(parseDockerfile('RUN a \\\n# only a comment follows\n').instructions.length, 1);
  const bin = parseDockerfile('\u0000\u0001\u0002garbage\u0000');
  assert.equal(bin.problems[0]!.kind, 'binary');
  assert.equal(bin.instructions.length, 0);
  const junk = parseDockerfile('\u00ff\u00fe}{][ \t\r\n--- \r\n<<EOF\n');
  assert.ok(junk.instructions.length >= 1);
});

test('parser: exec form only for JSON arrays of strings', () => {
  const ast = parseDockerfile('CMD ["a", "b"]\nCMD [1, 2]\nCMD [not json\nENTRYPOINT ["x"]  \n');
  assert.deepEqual(ast.instructions.map((i) => i.json), [['a', 'b'], undefined, undefined, ['x']]);
});

// Issue 12: each case below was parsed differently from BuildKit; the expected values are BuildKit's
// (frontend/dockerfile/parser at 73ed6825, as in ../shared/corpus/buildkit-parser).
const problemsOf = (text: string) => parseDockerfile(text).problems.filter((p) => p.kind !== 'empty-continuation').map((p) => p.kind);

test('parser: a heredoc marker inside quotes, JSON form, arithmetic or glued to a word is not a heredoc', () => {
  for (const line of ['RUN "<<EOF"', "RUN sed 's/<<EOF/x/' f", 'RUN ["<<EOF"]', 'RUN echo $((x<<y))', 'RUN cat<<EOF', 'RUN echo \\<<EOF', 'RUN cat <<<"$X"']) {
    const ast = parseDockerfile(`FROM a\n${line}\nRUN echo after\n`);
    assert.deepEqual(ast.instructions.map((i) => [i.keyword, i.heredocs.length, i.endLine]), [['FROM', 0, 0], ['RUN', 0, 1], ['RUN', 0, 2]], line);
    assert.deepEqual(problemsOf(`FROM a\n${line}\nRUN echo after\n`), [], line);
  }
});

test('parser: heredoc markers BuildKit accepts: spaces after <<, quoted words with spaces, $, <<- and partial quotes', () => {
  const cases: [string, string, boolean, boolean][] = [
    ['<<  EOF', 'EOF', true, false], ["<<'one two'", 'one two', false, false], ['<<$EOF', '$EOF', true, false],
    ['<< -EOF', '-EOF', true, false], ["<<eo'f'", 'eof', false, false], ['<<-"END"', 'END', false, true], ['3<<X', 'X', true, false],
  ];
  for (const [marker, name, expand, chomp] of cases) {
    const ast = parseDockerfile(`FROM a\nRUN cat ${marker}\nbody\n${chomp ? '\t' : ''}${name}\nRUN echo after\n`);
    const run = ast.instructions[1]!;
    assert.deepEqual(run.heredocs.map((h) => [h.name, !h.quoted, h.stripTabs, h.body]), [[name, expand, chomp, 'body\n']], marker);
    assert.equal(run.endLine, 3, marker);
    assert.equal(ast.instructions[2]!.keyword, 'RUN', marker);
  }
});

test('parser: an escaped escape at the end of a line does not continue it', () => {
  const ast = parseDockerfile('FROM a\nRUN echo C:\\\\\nRUN echo after\n');
  assert.deepEqual(ast.instructions.map((i) => i.logical), ['FROM a', 'RUN echo C:\\\\', 'RUN echo after']);
  const tick = parseDockerfile('# escape=`\nFROM a\nRUN dir ``\nRUN x `\n  y\n');
  assert.deepEqual(tick.instructions.map((i) => i.logical), ['FROM a', 'RUN dir ``', 'RUN x   y']);
});

test('parser: flags: `--` ends them, quoted values keep their spaces, any instruction has them', () => {
  const ast = parseDockerfile('FROM a\nCOPY --doit=true -- foo /tmp/\nRUN --mount=type=secret,id="a b" echo hi\nCMD --doit -- [ ]\n');
  const [, copy, run, cmd] = ast.instructions;
  assert.deepEqual(copy!.flags.map((f) => f.text), ['--doit=true']);
  assert.deepEqual(copy!.args, ['foo', '/tmp/']);
  assert.deepEqual(run!.flags.map((f) => [f.name, f.value]), [['mount', 'type=secret,id=a b']]);
  assert.equal(run!.rest, 'echo hi');
  assert.deepEqual([cmd!.flags.map((f) => f.text), cmd!.json], [['--doit'], []]);
});

test('parser: inputs BuildKit rejects give a syntax problem, and parsing goes on', () => {
  assert.deepEqual(problemsOf(''), ['syntax']);
  assert.deepEqual(problemsOf('# only\n# comments\n'), ['syntax']);
  assert.deepEqual(problemsOf('FROM busybox\n\nENV PATH\n'), ['syntax']);
  assert.deepEqual(problemsOf('CMD [ "echo", [ "nested json" ] ]\n'), ['syntax']);
  assert.deepEqual(problemsOf('FROM a\nLABEL a=1 b\n'), ['syntax']);
  assert.deepEqual(problemsOf('# syntax=x\n# syntax=y\nFROM a\n'), ['syntax']);
  assert.deepEqual(problemsOf('FROM a\nRUN <<EOF\nnever closed\n'), ['unterminated-heredoc']);
  const ast = parseDockerfile('FROM a\nCMD [1, 2]\nRUN ok\n');
  assert.equal(ast.instructions[1]!.json, undefined);
  assert.equal(ast.instructions[2]!.rest, 'ok');
  // A line BuildKit's scanner refuses (over 64 kB) is reported.
  assert.deepEqual(problemsOf(`FROM a\nRUN echo ${'x'.repeat(70000)}\n`), ['syntax']);
});

test('parser: key/value arguments as BuildKit leaves them', () => {
  const ast = parseDockerfile("FROM a\nARG A=''\nENV X=\"a\\\"b\" Y=1\nENV GOPATH C:\\\\go\nARG abc=\"123 456\" def\n");
  assert.deepEqual(ast.instructions.slice(1).map((i) => i.args), [["A=''"], ['X', '"a\\"b"', '=', 'Y', '1', '='], ['GOPATH', 'C:\\\\go', ''], ['abc="123 456"', 'def']]);
});

test('parser: ONBUILD nested past the limit is reported, not followed', () => {
  const ast = parseDockerfile(`FROM a\n${'ONBUILD '.repeat(5000)}RUN x\n`);
  assert.ok(ast.problems.some((p) => p.kind === 'limit'));
});

test('parser: flags are read byte by byte as BuildKit does (non-ASCII comes out as its UTF-8 bytes)', () => {
  const ast = parseDockerfile('FROM a\nCOPY --chown=josé x /y\nCOPY --chown=jà x /y\n');
  assert.deepEqual(ast.instructions.slice(1).map((i) => [i.flags.map((f) => f.text), i.args]), [
    [['--chown=jos\u00c3\u00a9'], ['x', '/y']],
    // 0xA0, the second byte of `à`, is a space to Go's unicode.IsSpace(rune(byte)).
    [['--chown=j\u00c3'], ['x', '/y']],
  ]);
  assert.deepEqual(ast.source.range(ast.instructions[1]!.flags[0]!.span), { startLine: 2, startColumn: 6, endLine: 2, endColumn: 17 });
});

test('parser: the instruction inside ONBUILD maps each character to the file (found by the fuzz test, seed 3)', () => {
  const ast = parseDockerfile('FROM alpine\nONBUILD RUN  \n');
  const inner = ast.instructions[1]!.onbuild!;
  assert.equal(inner.logical, 'RUN');
  assert.equal(inner.map.length, inner.logical.length + 1);
  assert.deepEqual(ast.source.range(inner.keywordSpan), { startLine: 2, startColumn: 9, endLine: 2, endColumn: 11 });
});
