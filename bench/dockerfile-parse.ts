/**
 * Parser speed on the shared corpus (../shared/corpus: the 176 official-image Dockerfiles, BuildKit's parser
 * testfiles and heredoc cases): CPU time per file for parseDockerfile and for parse + instruction model,
 * against a baseline in the same run that only splits each file into lines. CPU time, not wall time: the
 * machine is shared. Issue 12's budget for all of `stowage lint --no-engine` is 1 ms a file (1,000 files/s).
 * Run: npx tsc -p . && node dist/bench/dockerfile-parse.js [rounds]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildModel } from '../src/dockerfile/instruction-model.js';
import { parseDockerfile } from '../src/dockerfile/parser.js';
import { requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/dockerfile-parse', [{ file: '../shared/corpus/dockerfiles', install: 'run it from the repository root, with ../shared/corpus beside it' }]);

const corpus = resolve(process.cwd(), '..', 'shared', 'corpus');
const texts: string[] = [];
const walk = (dir: string) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name === 'Dockerfile' || e.name.endsWith('.Dockerfile')) texts.push(readFileSync(p, 'utf8'));
  }
};
walk(corpus);
const rounds = Number(process.argv[2] ?? 10);

/** Median CPU microseconds per file over 9 batches of `rounds` passes. */
function measure(label: string, pass: (t: string) => unknown): number {
  for (const t of texts) pass(t);
  const perFile: number[] = [];
  for (let b = 0; b < 9; b++) {
    const c0 = process.cpuUsage();
    for (let r = 0; r < rounds; r++) for (const t of texts) pass(t);
    const c = process.cpuUsage(c0);
    perFile.push((c.user + c.system) / (texts.length * rounds));
  }
  perFile.sort((x, y) => x - y);
  const median = perFile[4]!;
  console.log(`${label.padEnd(30)} median ${median.toFixed(1).padStart(7)} µs CPU/file (min ${perFile[0]!.toFixed(1)}, max ${perFile[8]!.toFixed(1)})`);
  return median;
}

let lines = 0;
const base = measure('split into lines (baseline)', (t) => (lines += t.split('\n').length));
const parse = measure('parseDockerfile', (t) => parseDockerfile(t));
const model = measure('parse + instruction model', (t) => buildModel(parseDockerfile(t)));
console.log(`corpus: ${texts.length} files, ${texts.reduce((s, t) => s + t.length, 0)} chars`);
console.log(`parse is ${(parse / base).toFixed(1)}x the baseline; parse + model use ${((model / 1000) * 100).toFixed(1)}% of a 1 ms/file budget`);
