import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBuildContext } from '../../src/dockerfile/build-context.js';
import { fixText } from '../../src/lint/apply-fixes.js';
import { lintText, type LintTextOptions } from '../../src/lint/lint-dockerfile.js';
import { RULES, RULE_LIST, ruleDocPath, type RuleId } from '../../src/lint/rule-table.js';

/** `line:col-line:col` of each finding of the listed ids. */
function hits(text: string, ids: RuleId[], options: LintTextOptions = {}): string[] {
  return lintText(text, options).findings.filter((f) => (ids as string[]).includes(f.id)).map((f) => {
    const r = f.subject.range!;
    return `${f.id} ${r.startLine}:${r.startColumn}-${r.endLine}:${r.endColumn}`;
  });
}

interface Case {
  name: string;
  ids: RuleId[];
  text: string;
  expect: string[];
}

const CASES: Case[] = [
  { name: 'COPY then chown -R + chmod -R of the destination', ids: ['dockerfile/copy-then-chown', 'dockerfile/recursive-chown'],
    text: '# syntax=docker/dockerfile:1\nFROM a\nCOPY app /app\nRUN chown -R app:app /app && chmod -R 755 /app\n',
    expect: ['dockerfile/copy-then-chown 4:5-4:46'] },
  { name: 'without a syntax line a chmod cannot be folded (the legacy builder rejects --chmod): recursive-chown', ids: ['dockerfile/copy-then-chown', 'dockerfile/recursive-chown'],
    text: 'FROM a\nCOPY app /app\nRUN chown -R app:app /app && chmod -R 755 /app\n',
    expect: ['dockerfile/recursive-chown 3:5-3:25', 'dockerfile/recursive-chown 3:30-3:46'] },
  { name: 'chmod -R of a directory made in the same RUN is not blamed on a COPY into /', ids: ['dockerfile/recursive-chown'],
    text: 'FROM a\nCOPY --from=build /target/ /\nENV GOPATH=/go\nRUN mkdir -p "$GOPATH/src" "$GOPATH/bin" && chmod -R 1777 "$GOPATH"\n',
    expect: [] },
  { name: 'chown -R of a tree a RUN created earlier: recursive-chown, no fold', ids: ['dockerfile/copy-then-chown', 'dockerfile/recursive-chown'],
    text: 'FROM a\nRUN git clone https://x/y.git /src\nRUN chown -R app /src\n',
    expect: ['dockerfile/recursive-chown 3:5-3:21'] },
  { name: 'chown in the RUN that creates the files is fine', ids: ['dockerfile/copy-then-chown', 'dockerfile/recursive-chown'],
    text: 'FROM a\nRUN mkdir /data && cp -r /etc /data/etc && chown -R app /data\n', expect: [] },
  { name: 'find -exec chmod and xargs over copied files', ids: ['dockerfile/recursive-chown'],
    text: 'FROM a\nCOPY . /srv\nRUN find /srv -type f -exec chmod 644 {} +\nRUN find /srv -name "*.sh" | xargs chmod +x\n',
    expect: ['dockerfile/recursive-chown 3:5-3:42', 'dockerfile/recursive-chown 4:5-4:26'] },
  { name: 'ARG/ENV resolved in paths; relative path against WORKDIR', ids: ['dockerfile/copy-then-chown', 'dockerfile/recursive-chown'],
    text: '# syntax=docker/dockerfile:1\nFROM a\nARG HOME_DIR=/home/app\nWORKDIR ${HOME_DIR}\nCOPY --from=build /out ./dist\nRUN chmod -R 0755 dist\n',
    expect: ['dockerfile/copy-then-chown 6:5-6:22'] },
  { name: 'earlier COPY into the destination blocks the fold but not the warning', ids: ['dockerfile/copy-then-chown', 'dockerfile/recursive-chown'],
    text: 'FROM a\nCOPY package.json /app/\nCOPY . /app\nRUN chown -R app:app /app\n',
    expect: ['dockerfile/recursive-chown 4:5-4:25'] },
  { name: 'heredoc RUN body is analysed with exact positions', ids: ['dockerfile/recursive-chown'],
    text: 'FROM a\nCOPY . /app\nRUN <<EOF\nset -e\n  chown -R app /app\nEOF\n',
    expect: ['dockerfile/recursive-chown 5:3-5:19'] },
  { name: 'COPY . . before npm ci', ids: ['dockerfile/copy-before-install'],
    text: 'FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\n', expect: ['dockerfile/copy-before-install 3:1-3:8'] },
  { name: 'manifests first is right', ids: ['dockerfile/copy-before-install'],
    text: 'FROM node\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n', expect: [] },
  { name: 'pip, bundler, go, cargo, composer', ids: ['dockerfile/copy-before-install'],
    text: 'FROM a AS py\nCOPY . .\nRUN pip install -r requirements.txt\nFROM a AS rb\nCOPY . .\nRUN bundle install\nFROM a AS go\nCOPY . .\nRUN go build ./...\nFROM a AS rs\nCOPY ./ /src\nRUN cargo build --release\nFROM a\nCOPY . .\nRUN composer install\n',
    expect: ['dockerfile/copy-before-install 2:1-2:8', 'dockerfile/copy-before-install 5:1-5:8', 'dockerfile/copy-before-install 8:1-8:8', 'dockerfile/copy-before-install 11:1-11:12', 'dockerfile/copy-before-install 14:1-14:8'] },
  { name: 'package caches in the exported stage only; cache mounts and cleanups respected', ids: ['dockerfile/package-cache'],
    text: 'FROM debian AS build\nRUN apt-get update && apt-get install -y gcc\nFROM debian\nRUN apt-get update && apt-get install -y curl\nRUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/*\nRUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked apt-get update && apt-get install -y jq\nRUN apk add curl\nRUN apk add --no-cache curl\nRUN pip install flask\nRUN npm install -g pnpm\nRUN yum install -y x && yum clean all\nRUN dnf install -y x\n',
    expect: ['dockerfile/package-cache 4:5-4:18', 'dockerfile/package-cache 7:5-7:16', 'dockerfile/package-cache 9:5-9:21', 'dockerfile/package-cache 10:5-10:23', 'dockerfile/package-cache 12:5-12:20'] },
  { name: 'PIP_NO_CACHE_DIR disables the pip cache', ids: ['dockerfile/package-cache'],
    text: 'FROM python\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n', expect: [] },
  { name: 'delete in a later layer', ids: ['dockerfile/delete-later-layer'],
    text: 'FROM a\nCOPY big.tar /tmp/big.tar\nRUN tar -xf /tmp/big.tar -C /opt\nRUN rm -f /tmp/big.tar\nRUN curl -o /x.zip https://h/x.zip && rm /x.zip\n',
    expect: ['dockerfile/delete-later-layer 4:5-4:22'] },
  { name: 'delete-later-layer only in the exported stage', ids: ['dockerfile/delete-later-layer'],
    text: 'FROM a AS b\nCOPY . /src\nRUN rm -rf /src/test\nFROM scratch\nCOPY --from=b /src /\n', expect: [] },
  { name: 'apt-get update alone, and consecutive RUNs', ids: ['dockerfile/apt-update-alone', 'dockerfile/consecutive-run'],
    text: 'FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\nENV X=1\nRUN ["echo", "exec"]\nRUN echo a\nRUN ln -s /a /b\n# why\nRUN touch /c\nRUN cd /x && make\n',
    expect: ['dockerfile/apt-update-alone 2:5-2:18', 'dockerfile/consecutive-run 7:1-7:3'] },
  { name: 'apt-get update alone: installs through xargs and in a for loop are seen', ids: ['dockerfile/apt-update-alone'],
    text: 'FROM debian\nRUN apt-get update && xargs -rt apt-get install -y < /deps.txt\nRUN apt-get update; for p in a b; do apt-get install -y "$p"; done\n',
    expect: [] },
  { name: 'layer count with the base image layers from the engine', ids: ['dockerfile/layer-count'],
    text: `FROM base\n${Array.from({ length: 30 }, (_, i) => `RUN echo ${i}`).join('\n')}\n`, expect: ['dockerfile/layer-count 1:1-1:4'] },
  { name: 'ADD remote and ADD local', ids: ['dockerfile/add-remote', 'dockerfile/add-local'],
    text: 'FROM a\nADD https://example.com/tool.tar.gz /opt/\nADD app.tar.gz /opt/\nADD config.json /etc/\nADD https://github.com/x/y.git /src\n',
    expect: ['dockerfile/add-remote 2:5-2:35', 'dockerfile/add-local 4:1-4:3'] },
  { name: 'syntax: unknown instruction, missing args, before FROM, binary', ids: ['dockerfile/syntax'],
    text: 'RUN echo early\nFROM a\nFOO bar\nCOPY onlyone\nWORKDIR\n',
    expect: ['dockerfile/syntax 1:1-1:3', 'dockerfile/syntax 3:1-3:3', 'dockerfile/syntax 4:1-4:4', 'dockerfile/syntax 5:1-5:7'] },
];

for (const c of CASES) {
  test(`rule: ${c.name}`, () => {
    const options: LintTextOptions = c.ids.includes('dockerfile/layer-count') ? { baseLayers: new Map([['base', 80]]) } : {};
    assert.deepEqual(hits(c.text, c.ids, options), c.expect);
  });
}

test('add-remote suggests extracting into the destination directory, never into the archive path; a quoted git URL is remote', () => {
  const r = lintText('FROM a\nADD https://h/x.tar.gz /x.tar.gz\nADD https://h/y.tar.xz /opt/\nADD --keep-git-dir=true "https://github.com/a/b.git#v1" /src\n');
  assert.deepEqual(r.findings.map((f) => [f.id, f.subject.range!.startLine, f.fix?.commands?.[0]]), [
    ['dockerfile/add-remote', 2, 'RUN wget -O- https://h/x.tar.gz | tar -xz -C / (when the archive is meant to be extracted)'],
    ['dockerfile/add-remote', 3, 'RUN mkdir -p /opt && wget -O- https://h/y.tar.xz | tar -xJ -C /opt (when the archive is meant to be extracted)'],
  ]);
});

test('package-cache: apt-get dist-clean cleans, apk --no-network and yarn --version fill no cache; delete-later-layer: lists cleaned in their own RUN', () => {
  const ids = (t: string) => lintText(t).findings.filter((f) => f.severity !== 'info').map((f) => `${f.subject.range!.startLine} ${f.id}`);
  assert.deepEqual(ids('FROM debian\nRUN set -eux; apt-get update; apt-get install -y x; apt-get dist-clean\nRUN set -eux; apt-get update; apt-get install -y y; rm -rf /var/lib/apt/lists/*\n'), []);
  assert.deepEqual(ids('FROM alpine\nRUN apk add --no-network --virtual .rundeps x && yarn --version\n'), []);
  assert.deepEqual(ids('FROM debian\nRUN apt-get update && apt-get install -y x\nRUN rm -rf /var/lib/apt/lists/*\n'), ['2 dockerfile/package-cache', '3 dockerfile/delete-later-layer']);
});

test('rule table: every id has a docs page name, a title and a fix; findings carry the table title', () => {
  for (const r of RULE_LIST) {
    assert.match(r.id, /^dockerfile\/[a-z-]+$/);
    assert.ok(r.title.length > 10 && r.fix.length > 10);
    const page = join(process.cwd(), ruleDocPath(r.id));
    assert.ok(existsSync(page), `no docs page ${page}`);
    assert.match(readFileSync(page, 'utf8'), new RegExp(`^# ${r.id}\\n\\nSeverity: \\*\\*${r.severity}\\*\\* · Autofix: \\*\\*${r.autofix}\\*\\*`));
  }
  const f = lintText('FROM a\nCOPY x /x\nRUN chown -R 1:1 /x\n').findings.find((x) => x.id === 'dockerfile/copy-then-chown')!;
  assert.equal(f.title, RULES['dockerfile/copy-then-chown'].title);
  assert.equal(f.severity, RULES['dockerfile/copy-then-chown'].severity);
});

test('layer count: an error past the engine layer-store limit, nothing under the warning threshold', () => {
  const many = `FROM base\n${Array.from({ length: 50 }, (_, i) => `COPY f${i} /f${i}`).join('\n')}\n`;
  const over = lintText(many, { baseLayers: new Map([['base', 90]]) }).findings.find((f) => f.id === 'dockerfile/layer-count')!;
  assert.equal(over.severity, 'error');
  assert.deepEqual(over.evidence.find((e) => e.label === 'total')?.value, 140);
  assert.equal(lintText(many, { baseLayers: new Map([['base', 10]]) }).findings.some((f) => f.id === 'dockerfile/layer-count'), false);
});

test('inline ignores, file ignores, config ignores and severity overrides', () => {
  const text = 'FROM a\nRUN a\n# stowage ignore=dockerfile/consecutive-run\nRUN b\nRUN c\n';
  assert.deepEqual(hits(text, ['dockerfile/consecutive-run']), ['dockerfile/consecutive-run 5:1-5:3']);
  assert.deepEqual(hits(`# stowage ignore-file=consecutive-run\n${text}`, ['dockerfile/consecutive-run']), []);
  const r = lintText(text, { policy: { ignore: [], severity: { 'dockerfile/consecutive-run': 'error' } } });
  assert.equal(r.findings.find((f) => f.id === 'dockerfile/consecutive-run')?.severity, 'error');
  assert.equal(r.suppressed, 1);
  assert.equal(lintText(text, { policy: { ignore: ['dockerfile/consecutive-run'] } }).findings.length, 0);
});

interface FixCase {
  name: string;
  input: string;
  safe: string;
  unsafe?: string;
}

const FIXES: FixCase[] = [
  { name: 'fold chown and chmod into COPY, drop the RUN (a syntax line makes BuildKit certain)',
    input: '# syntax=docker/dockerfile:1\nFROM a\nCOPY app /app\nRUN chown -R 1000:1000 /app && chmod -R 755 /app\nCMD ["sh"]\n',
    safe: '# syntax=docker/dockerfile:1\nFROM a\nCOPY --chown=1000:1000 --chmod=755 app /app\nCMD ["sh"]\n' },
  { name: 'no --chmod without a syntax line: the legacy builder rejects it; --chown alone is folded',
    input: 'FROM a\nCOPY app /app\nRUN chown -R 1000:1000 /app && chmod -R 755 /app\nRUN chown -R 1:1 /app\n',
    safe: 'FROM a\nCOPY app /app\nRUN chown -R 1000:1000 /app && chmod -R 755 /app\nRUN chown -R 1:1 /app\n' },
  { name: 'fold a chown of user only as user:0, keep the rest of the RUN across a continuation',
    input: 'FROM a\nCOPY . /srv\nRUN chown -R app /srv && \\\n    echo done\n',
    safe: 'FROM a\nCOPY --chown=app:0 . /srv\nRUN echo done\n' },
  { name: 'WORKDIR-created destination keeps a non-recursive chown of the directory',
    input: 'FROM a\nWORKDIR /app\nCOPY . .\nRUN chown -R app:app /app\n',
    safe: 'FROM a\nWORKDIR /app\nCOPY --chown=app:app . .\nRUN chown app:app /app\n' },
  { name: 'symbolic chmod and a chown in the middle of a chain are not folded',
    input: 'FROM a\nCOPY . /app\nRUN chmod -R u+x /app\nRUN npm ci && chown -R app /app\n',
    safe: 'FROM a\nCOPY . /app\nRUN chmod -R u+x /app\nRUN npm ci && chown -R app /app && npm cache clean --force\n' },
  { name: 'CRLF and BOM are kept',
    input: '\uFEFFFROM a\r\nCOPY app /app\r\nRUN chown -R 1:1 /app\r\nRUN pip install x\r\n',
    safe: '\uFEFFFROM a\r\nCOPY --chown=1:1 app /app\r\nRUN pip install --no-cache-dir x\r\n' },
  { name: 'unsafe: join RUNs and move apt-get update',
    input: 'FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\nRUN echo hi\n',
    safe: 'FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\nRUN echo hi\n',
    unsafe: 'FROM debian\nRUN apt-get update && \\\n    apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nRUN echo hi\n' },
  { name: 'a next RUN that starts `set -eux;` is joined as a group, so set -e still stops it; comments between are kept',
    input: 'FROM debian\nRUN apt-get update\n# the packages\n\nRUN set -eux; apt-get install -y curl; curl --version\n',
    safe: 'FROM debian\nRUN apt-get update\n# the packages\n\nRUN set -eux; apt-get install -y curl; curl --version\n',
    unsafe: 'FROM debian\nRUN apt-get update && { \\\n# the packages\n    set -eux; apt-get install -y curl; curl --version; }\n' },
  { name: 'no join after a comment that reaches the shell, or after cd, umask, exit (they may come last); no cleanup after a comment',
    input: 'FROM debian\nRUN echo a # note\nRUN echo b\nRUN cd /tmp\nRUN echo c\nRUN umask 077\nRUN touch /d\nRUN exit 0\nRUN touch /e\nRUN apt-get update && apt-get install -y x # keep\n',
    safe: 'FROM debian\nRUN echo a # note\nRUN echo b\nRUN cd /tmp\nRUN echo c\nRUN umask 077\nRUN touch /d\nRUN exit 0\nRUN touch /e\nRUN apt-get update && apt-get install -y x # keep\n',
    unsafe: 'FROM debian\nRUN echo a # note\nRUN echo b && \\\n    cd /tmp\nRUN echo c && \\\n    umask 077\nRUN touch /d && \\\n    exit 0\nRUN touch /e\nRUN apt-get update && apt-get install -y x # keep\n' },
  { name: 'apt lists are not removed when a later RUN installs without its own update',
    input: 'FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n',
    safe: 'FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n',
    unsafe: 'FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n' },
  { name: 'ADD of a plain file becomes COPY (safe); of an unknown name only with --fix-unsafe',
    input: 'FROM a\nADD run.sh /run.sh\nADD blob /blob\n',
    safe: 'FROM a\nCOPY run.sh /run.sh\nADD blob /blob\n',
    unsafe: 'FROM a\nCOPY run.sh /run.sh\nCOPY blob /blob\n' },
];

for (const c of FIXES) {
  test(`fix: ${c.name}`, () => {
    const safe = fixText(c.input);
    assert.equal(safe.text, c.safe);
    assert.equal(safe.changed, c.safe !== c.input);
    assert.ok(safe.applied.every((a) => a.safety === 'safe'));
    // Fixing is idempotent: a second pass changes nothing.
    assert.equal(fixText(safe.text).text, safe.text);
    if (c.unsafe !== undefined) assert.equal(fixText(c.input, { unsafe: true }).text, c.unsafe);
  });
}

test('copy-before-install: autofix only when the manifests exist in the build context, with byte estimates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-ctx-'));
  try {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    writeFileSync(join(dir, 'src/index.js'), 'x'.repeat(1000));
    const text = 'FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD ["node", "src/index.js"]\n';
    const fixed = fixText(text, { context: readBuildContext(dir), unsafe: true });
    assert.equal(fixed.text, 'FROM node\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev && npm cache clean --force\nCOPY . .\nCMD ["node", "src/index.js"]\n');
    assert.equal(fixText(text).text.includes('COPY package.json'), false);
    // a postinstall script may read the sources: reordering could change the build, so no fix
    writeFileSync(join(dir, 'package.json'), '{"scripts": {"postinstall": "node src/index.js"}}');
    assert.equal(fixText(text, { context: readBuildContext(dir), unsafe: true }).text.includes('COPY package.json'), false);
    assert.equal(fixText(text.replace('npm ci', 'npm ci --ignore-scripts'), { context: readBuildContext(dir), unsafe: true }).text.includes('COPY package.json'), true);
    const chown = lintText('FROM a\nCOPY src /app\nRUN chown -R 1:1 /app\n', { context: readBuildContext(dir) }).findings.find((f) => f.id === 'dockerfile/copy-then-chown')!;
    assert.equal(chown.evidence.find((e) => e.label === 'bytes duplicated (estimate)')?.value, 1000);
    assert.equal(chown.evidence.find((e) => e.label === 'files duplicated (estimate)')?.value, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('context rules: missing .dockerignore, .git and node_modules sent, large context, COPY of an ignored path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-ctx-'));
  try {
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, '.git/HEAD'), 'ref');
    writeFileSync(join(dir, 'node_modules/x.js'), 'x'.repeat(5000));
    const text = 'FROM a\nCOPY secrets/ /s\nCOPY node_modules /n\n';
    const ids = (o: LintTextOptions) => lintText(text, o).findings.map((f) => f.id).filter((id) => id.includes('context') || id.includes('ignore')).sort();
    assert.deepEqual(ids({ context: readBuildContext(dir) }), ['dockerfile/context-git', 'dockerfile/context-node-modules'], 'a tiny context needs no .dockerignore');
    assert.deepEqual(ids({ context: readBuildContext(dir), settings: { largeContextBytes: 1000, dockerignoreBytes: 1000 } }),
      ['dockerfile/context-git', 'dockerfile/context-node-modules', 'dockerfile/large-context', 'dockerfile/missing-dockerignore']);
    writeFileSync(join(dir, '.dockerignore'), '.git\nnode_modules\nsecrets\n');
    assert.deepEqual(hits(text, ['dockerfile/copy-ignored'], { context: readBuildContext(dir) }), ['dockerfile/copy-ignored 2:6-2:13', 'dockerfile/copy-ignored 3:6-3:17']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
