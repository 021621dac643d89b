import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixText } from '../../src/lint/apply-fixes.js';
import { lintText } from '../../src/lint/lint-dockerfile.js';
import { readBuildContext } from '../../src/dockerfile/build-context.js';
import { SourceText } from '../../src/dockerfile/source-text.js';
import type { LintFinding } from '../../src/lint/rule-context.js';
import { generatedHugeDockerfile } from '../samples/dockerfiles/huge-dockerfile.js';

// A rule that throws must fail this test, not be skipped quietly as it is for users.
process.env.STOWAGE_DEBUG = '1';

export const CORPUS_DIR = join(process.cwd(), 'test/samples/dockerfiles');

export function corpusTexts(): { name: string; text: string }[] {
  const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.Dockerfile')).sort();
  return files.map((name) => ({ name, text: readFileSync(join(CORPUS_DIR, name)).toString('utf8') }));
}

/** Every finding's range is inside the file and ordered; its span matches the range. */
function assertRanges(name: string, text: string, findings: readonly LintFinding[]): void {
  const src = new SourceText(text);
  for (const f of findings) {
    const r = f.subject.range;
    assert.ok(r, `${name}: ${f.id} has no range`);
    const where = `${name}: ${f.id} ${JSON.stringify(r)}`;
    assert.ok(r.startLine >= 1 && r.endLine <= src.lineCount && r.startLine <= r.endLine, where);
    assert.ok(r.startColumn >= 1 && r.endColumn >= 1, where);
    if (r.startLine === r.endLine) assert.ok(r.startColumn <= r.endColumn, where);
    assert.ok(r.startColumn <= src.lineText(r.startLine - 1).length + 1, where);
    assert.ok(r.endColumn <= Math.max(1, src.lineText(r.endLine - 1).length + 1), where);
    assert.ok(f.span.start >= 0 && f.span.end <= src.text.length && f.span.start <= f.span.end, where);
    assert.deepEqual(src.range(f.span), r, where);
  }
}

test('corpus: at least 100 varied Dockerfiles, including CRLF, BOM, heredocs, escapes, empty and binary', () => {
  const texts = corpusTexts();
  assert.ok(texts.length >= 100, `only ${texts.length} samples`);
  assert.ok(texts.some((t) => t.text === ''));
  assert.ok(texts.some((t) => t.text.includes('\r\n')));
  assert.ok(texts.some((t) => t.text.charCodeAt(0) === 0xfeff));
  assert.ok(texts.some((t) => t.text.includes('<<EOF')));
  assert.ok(texts.some((t) => t.text.startsWith('# escape=`')));
  assert.ok(texts.some((t) => t.text.includes('\u0000')));
});

test('corpus: every sample lints without a crash, with exact ranges, with and without a build context', () => {
  const context = readBuildContext(CORPUS_DIR);
  let findings = 0;
  for (const { name, text } of corpusTexts()) {
    for (const options of [{ file: name }, { file: name, context }]) {
      const r = lintText(text, options);
      assertRanges(name, text, r.findings);
      findings += r.findings.length;
    }
  }
  assert.ok(findings > 200, `suspiciously few findings: ${findings}`);
  const binary = lintText(readFileSync(join(CORPUS_DIR, 'binary-garbage-0.Dockerfile')).toString('utf8')).findings;
  assert.deepEqual(binary.map((f) => f.id), ['dockerfile/syntax']);
});

test('corpus: fixes keep files parseable, never add syntax findings, and are idempotent', () => {
  for (const { name, text } of corpusTexts()) {
    for (const unsafe of [false, true]) {
      const before = lintText(text).findings.filter((f) => f.id === 'dockerfile/syntax').length;
      const fixed = fixText(text, { unsafe });
      const after = lintText(fixed.text).findings;
      assertRanges(`${name} (fixed)`, fixed.text, after);
      assert.ok(after.filter((f) => f.id === 'dockerfile/syntax').length <= before, `${name}: fix added syntax problems`);
      assert.equal(fixText(fixed.text, { unsafe }).text, fixed.text, `${name}: fix not idempotent`);
      if (!unsafe) assert.ok(after.every((f) => !f.autofix || f.autofix.safety === 'unsafe'), `${name}: safe fix left behind`);
    }
  }
});

test('corpus: a generated 10,000-line Dockerfile lints with exact ranges', () => {
  const text = generatedHugeDockerfile();
  assert.equal(new SourceText(text).lineCount, 10_001);
  const r = lintText(text, { file: 'huge.Dockerfile' });
  assertRanges('huge', text, r.findings);
  const ids = new Set(r.findings.map((f) => f.id));
  for (const id of ['dockerfile/copy-then-chown', 'dockerfile/package-cache', 'dockerfile/consecutive-run', 'dockerfile/copy-before-install']) {
    assert.ok(ids.has(id), `huge file: no ${id}`);
  }
  assert.ok(r.suppressed > 0);
});

test('corpus: deterministic mutations of the samples (cut, duplicated, spliced bytes) never crash', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % Math.max(1, n);
  };
  const texts = corpusTexts().filter((t) => t.text.length > 0);
  const pieces = ['\\', '\\\n', '<<EOF', '\nEOF\n', '"', "'", '`', '\r', '\uFEFF', '${', '}', '--mount=', '&&', '\n#', 'RUN ', 'COPY ', '\u0000'];
  for (let k = 0; k < 400; k++) {
    const t = texts[rand(texts.length)]!.text;
    const at = rand(t.length);
    const mutated = `${t.slice(0, at)}${pieces[rand(pieces.length)]}${t.slice(at + rand(5))}`;
    const r = lintText(mutated);
    assertRanges(`mutation ${k}`, mutated, r.findings);
    fixText(mutated, { unsafe: true });
  }
});
