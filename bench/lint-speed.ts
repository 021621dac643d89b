/**
 * Lint speed on real files, as a user runs it: ONE `stowage lint --no-engine` process over the 176
 * official-image Dockerfiles and BuildKit's parser test files in ../shared/corpus/, node's start included.
 * The figure is files per CPU-second of that process (user + system, read by the process itself at exit;
 * the machine is shared, so CPU time and medians, not wall time). Baselines in the same run: a node
 * process that only starts, and one that starts, reads and parses the same files (the floor lint sits on).
 * A third baseline is the same lint as tsc emits it with V8's defaults (no bundle, no bin/stowage V8 flag): what
 * `stowage lint` cost before start-up was worked on, so the ratio shows what the bundle and the flag buy. A
 * fourth is the bundle with the flag but without its V8 code cache (dist/stowage.cjs.cache), for what the cache buys.
 * Also the warm per-file cost of lintText in-process.
 * Run: npm run build && node dist/bench/lint-speed.js [runs]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDockerfile } from '../src/dockerfile/parser.js';
import { lintText } from '../src/lint/lint-dockerfile.js';
import { requirePrerequisites } from './prerequisites.js';
import { bundleState } from './support/bundle-state.js';

requirePrerequisites('bench/lint-speed', [{ file: '../shared/corpus/dockerfiles', install: 'run it from the repository root, with ../shared/corpus beside it' }]);

const root = process.cwd();
const shared = resolve(root, '../shared/corpus');
const runs = Number(process.argv[2] ?? 9);

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'Dockerfile' || name.endsWith('.Dockerfile')) out.push(p);
    }
  };
  walk(join(shared, 'dockerfiles'));
  walk(join(shared, 'buildkit-parser'));
  return out;
}

const files = corpusFiles();
// Prints the process's own CPU time (bootstrap included) on exit.
const CPU_PRELOAD = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\nCPU_US '+(u.user+u.system)+'\\n')})`;

/** CPU milliseconds of one node process running `args`. */
function cpuOf(args: string[]): number {
  const r = spawnSync(process.execPath, ['--import', CPU_PRELOAD, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const m = /CPU_US (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no CPU figure (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
  return Number(m[1]) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const parseOnly = `import{readFileSync}from'node:fs';import{parseDockerfile}from'${resolve(root, 'dist/src/dockerfile/parser.js')}';for(const f of process.argv.slice(1))parseDockerfile(readFileSync(f,'utf8'));`;

const { bundle, bundled, note } = bundleState(root);
if (note) console.log(note);
// The bundle as bin/stowage loads it but without the code cache: plain require, the same V8 flag.
const bundleOnly = `require(${JSON.stringify(bundle)}).main(process.argv.slice(1)).then((c)=>{process.exitCode=c})`;
// The CLI's modules as tsc emits them, V8's defaults: lint before start-up was worked on.
const modulesOnly = `const{main}=await import('${resolve(root, 'dist/src/cli/main.js')}');process.exitCode=await main(process.argv.slice(1));`;

/** The 1-minute load average: the machine is shared, and every CPU figure here moves with it. */
const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
const loadBefore = loadAvg();
const start: number[] = [];
const parse: number[] = [];
const lint: number[] = [];
const plain: number[] = [];
const nocache: number[] = [];
for (let i = 0; i < runs; i++) {
  start.push(cpuOf(['-e', '0']));
  parse.push(cpuOf(['--input-type=module', '-e', parseOnly, ...files]));
  lint.push(cpuOf([join(root, 'bin/stowage'), 'lint', '--no-engine', ...files]));
  plain.push(cpuOf(['--input-type=module', '-e', modulesOnly, '--', 'lint', '--no-engine', ...files]));
  if (bundled) nocache.push(cpuOf(['--interrupt-budget=1000000', '-e', bundleOnly, '--', 'lint', '--no-engine', ...files]));
}

// Warm, in-process: lintText over the same texts.
const texts = files.map((f) => readFileSync(f, 'utf8'));
for (const t of texts) lintText(t);
const warm: number[] = [];
const warmParse: number[] = [];
for (let b = 0; b < 5; b++) {
  let u = process.cpuUsage();
  for (let r = 0; r < 5; r++) for (const t of texts) parseDockerfile(t);
  let d = process.cpuUsage(u);
  warmParse.push((d.user + d.system) / 1000 / (5 * texts.length));
  u = process.cpuUsage();
  for (let r = 0; r < 5; r++) for (const t of texts) lintText(t);
  d = process.cpuUsage(u);
  warm.push((d.user + d.system) / 1000 / (5 * texts.length));
}

const m = { start: median(start), parse: median(parse), lint: median(lint), plain: median(plain), nocache: bundled ? median(nocache) : NaN };
const rate = files.length / (m.lint / 1000);
const row = (label: string, ms: number, extra = '') => console.log(`${label.padEnd(46)} ${ms.toFixed(0).padStart(6)} ms CPU${extra}`);
console.log(`corpus: ${files.length} Dockerfiles (../shared/corpus: official images + BuildKit parser cases); median of ${runs} runs; load average ${loadBefore} -> ${loadAvg()}`);
row('node start only (baseline)', m.start);
row('node start + read + parse every file (baseline)', m.parse, `   ${(files.length / (m.parse / 1000)).toFixed(0)} files/s`);
row('lint, tsc modules, V8 defaults (baseline)', m.plain, `   ${(files.length / (m.plain / 1000)).toFixed(0)} files/s`);
if (bundled) row('lint, bundle without its code cache (baseline)', m.nocache, `   ${(files.length / (m.nocache / 1000)).toFixed(0)} files/s`);
row(`stowage lint --no-engine, one process${bundled ? '' : ' (NOT bundled)'}`, m.lint, `   ${rate.toFixed(0)} files/s`);
console.log(`stowage lint / tsc modules with V8 defaults: ${(m.lint / m.plain).toFixed(2)}x the CPU (${(m.plain / m.lint).toFixed(2)}x the files/s)`);
if (bundled) console.log(`stowage lint / bundle without code cache: ${(m.lint / m.nocache).toFixed(2)}x the CPU`);
console.log(`lint process / parse-only process: ${(m.lint / m.parse).toFixed(2)}x; lint beyond node start: ${((m.lint - m.start) / files.length).toFixed(2)} ms a file`);
console.log(`warm in-process: lintText ${median(warm).toFixed(3)} ms a file, parse ${median(warmParse).toFixed(3)} ms a file (${(median(warm) / median(warmParse)).toFixed(1)}x)`);
console.log(`target >= 1000 files/s with node start: ${rate >= 1000 ? 'met' : 'NOT met'} (${(rate / 1000).toFixed(2)}x of target)`);
