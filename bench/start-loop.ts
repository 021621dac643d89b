/**
 * Performance of `stowage bench start` (issue 6): per-container cost of the Engine-API loop against a shell
 * loop of `docker run --rm` on the same image in the same run, stowage's own CPU per iteration, and the
 * sampler's CPU. Run by hand: `npx tsc -p . && node dist/bench/start-loop.js [N]`.
 * Targets: API loop faster than the CLI loop; own CPU < 5% of an iteration's wall time; sampler < 1% of a core.
 */
import { spawnSync } from 'node:child_process';
import { capabilityContext } from '../src/context.js';
import { runStartBench } from '../src/bench/start-loop.js';
import { DOCKER_CLI, ensureBusybox } from '../test/support/docker-cli.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/start-loop', ['engine', NEEDS.busybox, NEEDS.tar]);

const n = Number(process.argv[2] ?? 30);
const image = await ensureBusybox();
const context = capabilityContext({ connect: { timeoutMs: 600_000 } });

async function apiLoop() {
  const r = await runStartBench({ image, cmd: ['true'], iterations: n, sampleIntervalMs: 1000 }, context);
  if (r.summary.failed) throw new Error(`API loop: ${r.summary.failed} failed`);
  return { perContainerMs: r.summary.wallMs / n, ownCpuMs: r.cpu.totalMs / n, samplerCpuMs: r.cpu.samplerMs, wallMs: r.summary.wallMs, samples: r.sampleCount };
}

function cliLoop() {
  const t = performance.now();
  const script = `i=0; while [ $i -lt ${n} ]; do ${DOCKER_CLI} run --rm --network none ${image} true || exit 1; i=$((i+1)); done`;
  const r = spawnSync('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('CLI loop failed');
  return { perContainerMs: (performance.now() - t) / n };
}

// warm both paths once, then interleave A B B A so drift on a shared machine hits both alike
await apiLoop();
cliLoop();
const a1 = await apiLoop();
const c1 = cliLoop();
const c2 = cliLoop();
const a2 = await apiLoop();
const api = (a1.perContainerMs + a2.perContainerMs) / 2;
const cli = (c1.perContainerMs + c2.perContainerMs) / 2;
const ownCpu = (a1.ownCpuMs + a2.ownCpuMs) / 2;
const samplerPercent = ((a1.samplerCpuMs + a2.samplerCpuMs) / (a1.wallMs + a2.wallMs)) * 100;
const rows: [string, string, string][] = [
  ['per container, API loop (stowage bench start)', `${api.toFixed(1)} ms`, ''],
  ['per container, shell loop of docker run --rm', `${cli.toFixed(1)} ms`, 'baseline'],
  ['ratio API / CLI', `${(api / cli).toFixed(2)}`, api < cli ? 'target < 1: met' : 'target < 1: NOT met'],
  ['stowage CPU per iteration', `${ownCpu.toFixed(1)} ms (${((ownCpu / api) * 100).toFixed(1)}% of the iteration)`, ownCpu / api < 0.05 ? 'target < 5%: met' : 'target < 5%: NOT met'],
  ['sampler CPU', `${samplerPercent.toFixed(2)}% of a core (${a1.samples + a2.samples} samples)`, samplerPercent < 1 ? 'target < 1%: met' : 'target < 1%: NOT met'],
];
console.log(`bench/start-loop: ${n} containers of ${image} (true) per loop, 2 loops each, interleaved`);
const w = rows.map((r) => r.map((c) => c.length)).reduce((m, r) => m.map((v, i) => Math.max(v, r[i]!)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
