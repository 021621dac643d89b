/**
 * Lint speed on the corpus (test/samples/dockerfiles): Dockerfiles per second, through the library call
 * `stowage lint` uses (files read from disk, no build context, no engine) and for lintText alone.
 * Baseline in the same run: parsing only. Run: npx tsc -p . && node dist/bench/lint-speed.js [rounds]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDockerfile } from '../src/dockerfile/parser.js';
import { lintText } from '../src/lint/lint-dockerfile.js';
import { lintFiles } from '../src/lint/lint-files.js';
import { generatedHugeDockerfile } from '../test/samples/dockerfiles/huge-dockerfile.js';
import { requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/lint-speed', [{ file: 'test/samples/dockerfiles', install: 'run it from the repository root' }]);

const dir = join(process.cwd(), 'test/samples/dockerfiles');
const names = readdirSync(dir).filter((f) => f.endsWith('.Dockerfile')).sort();
const texts = names.map((n) => readFileSync(join(dir, n)).toString('utf8'));
const rounds = Number(process.argv[2] ?? 20);


// warm-up
for (const t of texts) lintText(t);

/** Median rate over `batches` timed batches of `rounds` passes over the corpus (the machine is shared). */
async function measure(label: string, pass: () => unknown, batches = 5): Promise<number> {
  const rates: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await pass();
    rates.push((texts.length * rounds) / ((performance.now() - t0) / 1000));
  }
  rates.sort((x, y) => x - y);
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(`${label.padEnd(38)} median ${median.toFixed(0).padStart(7)} Dockerfiles/s  (min ${rates[0]!.toFixed(0)}, max ${rates[rates.length - 1]!.toFixed(0)}; ${texts.length * rounds} files per batch)`);
  return median;
}

const parse = await measure('parse only (baseline)', () => { for (const t of texts) parseDockerfile(t); });
let findings = 0;
const lint = await measure('lintText (all rules)', () => { for (const t of texts) findings += lintText(t).findings.length; });
const files = await measure('lintFiles (read + lint, no context)', () => lintFiles({ paths: [dir], useContext: false }));

console.log(`corpus: ${texts.length} files, ${texts.reduce((s, t) => s + t.length, 0)} chars; ${findings / (rounds * 5)} findings per pass`);
console.log(`lint is ${(parse / lint).toFixed(2)}x the time of parsing alone; target >= 1000 Dockerfiles/s: ${Math.min(lint, files) >= 1000 ? 'met' : 'NOT met'}`);

const huge = generatedHugeDockerfile();
const times: number[] = [];
for (let k = 0; k < 5; k++) {
  const t0 = performance.now();
  lintText(huge);
  times.push(performance.now() - t0);
}
times.sort((x, y) => x - y);
console.log(`generated 10,000-line Dockerfile: lint median ${times[2]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)} ms)`);
