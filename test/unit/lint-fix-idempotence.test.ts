/**
 * Issue 20: `--fix-unsafe` once wrote `… && rm -rf /var/lib/apt/lists/* && \` followed by the same `rm -rf`
 * again, and the fixed file then failed lint with two new warnings. Here every Dockerfile the lint tests use
 * (test/samples/dockerfiles, the 176 official-image Dockerfiles of ../shared/corpus with their build contexts,
 * BuildKit's parser test files) and each of them with its multi-command RUNs split into one RUN per command (what
 * the unsafe join and the cleanup fixes act on) is fixed twice, with --fix and --fix-unsafe, with and without
 * BuildKit: the second pass changes nothing, and the fixed file has no more warn/error findings of any rule
 * than the file had (counted per rule, so a second copy of an existing warning fails too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readBuildContext, type BuildContext } from '../../src/dockerfile/build-context.js';
import { fixText } from '../../src/lint/apply-fixes.js';
import { lintText, type LintTextOptions } from '../../src/lint/lint-dockerfile.js';

process.env.STOWAGE_DEBUG = '1';

const SAMPLES = join(process.cwd(), 'test/samples/dockerfiles');
const SHARED = join(process.cwd(), '../shared/corpus');
const OFFICIAL = join(SHARED, 'dockerfiles');

interface Input { name: string; text: string; context?: BuildContext }

function inputs(): Input[] {
  const out: Input[] = [];
  const samplesContext = readBuildContext(SAMPLES);
  for (const n of readdirSync(SAMPLES).filter((f) => f.endsWith('.Dockerfile')).sort()) {
    const text = readFileSync(join(SAMPLES, n), 'utf8');
    out.push({ name: `samples/${n}`, text }, { name: `samples/${n} (context)`, text, context: samplesContext });
  }
  const official = readFileSync(join(OFFICIAL, 'files.txt'), 'utf8').split('\n').filter(Boolean);
  assert.equal(official.length, 176);
  for (const rel of official) {
    const file = join(OFFICIAL, rel);
    out.push({ name: rel, text: readFileSync(file, 'utf8'), context: readBuildContext(dirname(file)) });
  }
  const bk = join(SHARED, 'buildkit-parser/testfiles');
  for (const e of readdirSync(bk, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    out.push({ name: `buildkit/${e}`, text: readFileSync(join(bk, e, 'Dockerfile'), 'utf8') });
  }
  // the same files with each `RUN a && \ b && \ c` split into one RUN per line: apt-get update alone,
  // caches cleaned in a later RUN, consecutive RUNs, the shapes the unsafe fixes join and clean up
  const split: Input[] = [];
  for (const i of out) {
    const s = splitRuns(i.text);
    if (s !== i.text) split.push({ ...i, name: `${i.name} (RUNs split)`, text: s });
  }
  return [...out, ...split];
}

/** `RUN a && \⏎    b` → `RUN a⏎RUN b` (only `&&` at a line end of a RUN outside heredocs; `\` escape files only). */
export function splitRuns(text: string): string {
  if (/^#\s*escape\s*=\s*`/im.test(text.slice(0, 200)) || text.includes('<<')) return text;
  const lines = text.split('\n');
  const out: string[] = [];
  let inRun = false;
  for (const line of lines) {
    const start = /^\s*RUN\s/i.test(line);
    if (start) inRun = true;
    if (inRun && /\s&&\s*\\\r?$/.test(line)) {
      out.push(line.replace(/\s*&&\s*\\(\r?)$/, '$1'));
      // the next line starts a new RUN
      inRun = true;
      out.push('RUN \\');
      continue;
    }
    out.push(line);
    if (!/\\\r?$/.test(line)) inRun = false;
  }
  return out.join('\n');
}

/** warn/error findings per rule id. */
function counts(text: string, options: LintTextOptions): Map<string, number> {
  const m = new Map<string, number>();
  const r = lintText(text, options);
  assert.deepEqual(r.ruleErrors, []);
  for (const f of r.findings) if (f.severity !== 'info') m.set(f.id, (m.get(f.id) ?? 0) + 1);
  return m;
}

test('a second --fix / --fix-unsafe changes nothing and no fix adds a warning: every lint fixture, every corpus file, split RUNs too', () => {
  const all = inputs();
  let changed = 0;
  let files = 0;
  const problems: string[] = [];
  for (const i of all) {
    files++;
    for (const buildkit of [false, true]) {
      const options: LintTextOptions = { file: 'Dockerfile', ...(i.context ? { context: i.context } : {}), settings: { buildkit } };
      const before = counts(i.text, options);
      for (const unsafe of [false, true]) {
        const how = `${i.name}: --fix${unsafe ? '-unsafe' : ''}${buildkit ? ' --buildkit' : ''}`;
        const once = fixText(i.text, { ...options, unsafe });
        if (once.changed) changed++;
        const twice = fixText(once.text, { ...options, unsafe });
        if (twice.changed) problems.push(`${how}: the second pass changed the file again (${twice.applied.map((a) => a.id).join(', ')})`);
        for (const [id, n] of counts(once.text, options)) {
          if (n > (before.get(id) ?? 0)) problems.push(`${how}: ${n} ${id} after the fix, ${before.get(id) ?? 0} before`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
  // the split files give the fixes real work: most of them change
  assert.ok(files > 500, `${files} inputs`);
  if (process.env.STOWAGE_TEST_FIGURES) console.log(`${files} inputs, ${changed} fix runs changed a file`);
  assert.ok(changed > 400, `only ${changed} fixes changed a file`);
});

test('the issue\'s case: apt lists cleaned at the end of a continued RUN are not cleaned twice by --fix-unsafe', () => {
  const text = 'FROM debian\nRUN apt-get update\nRUN apt-get install -y curl && \\\n    rm -rf /var/lib/apt/lists/*\nRUN apt-get update && apt-get install -y git && \\\n    rm -rf /var/lib/apt/lists/* && \\\n    true\nRUN apt-get install -y jq && \\\n    rm -rf /var/lib/apt/lists/*\n';
  for (const unsafe of [false, true]) {
    const once = fixText(text, { unsafe });
    for (const line of once.text.split('\n')) assert.ok((line.match(/rm -rf \/var\/lib\/apt\/lists/g) ?? []).length <= 1, line);
    assert.equal(fixText(once.text, { unsafe }).changed, false);
  }
});

test('splitRuns splits a continued && chain into RUNs and leaves other lines alone', () => {
  assert.equal(splitRuns('FROM a\nRUN a && \\\n  b && \\\n  c\nENV X=1 && \\\n  2\n'), 'FROM a\nRUN a\nRUN \\\n  b\nRUN \\\n  c\nENV X=1 && \\\n  2\n');
});
