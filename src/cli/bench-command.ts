/** `stowage bench start|disk|build`: parse flags, run the benchmark, render its summary. */
import type { Command } from 'commander';
import { connectEngine } from '../engine/dockerode-engine.js';
import { UsageError } from '../errors.js';
import { reachesThreshold, sortFindings, type Finding, type Severity } from '../findings.js';
import { renderFindings } from '../report/findings-text.js';
import { formatBytes, formatDuration } from '../report/format.js';
import { renderJson } from '../report/json-document.js';
import type { Distribution } from '../stats.js';
import { PHASES, runStartBench, type StartBenchResult } from '../bench/start-loop.js';
import { summariseSamples } from '../bench/stall-detector.js';
import { writeTimeline } from '../bench/timeline.js';
import type { BurstModelChoice } from '../bench/burst-estimate.js';
import { runDiskBench, type DiskBenchResult, type DiskTool } from '../bench/disk-bench.js';
import { resolve as resolvePath } from 'node:path';
import { describeRating, runBuildBench, type BuildBenchResult, type BuilderChoice } from '../bench/build-bench.js';
import type { CliContext } from './cli-context.js';
import { parseSeverity } from './cli-context.js';
import type { RegisterCommand } from './main.js';

/** `30s`, `5m`, `1h`, `500ms`; a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} takes a duration such as 30s, 5m or 1h, not "${text}"`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

export function parsePositive(text: string, flag: string, integer = true): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} takes a ${integer ? 'whole ' : ''}number greater than 0, not "${text}"`);
  }
  return n;
}

/** Splits a command line like a POSIX shell does for words and quotes (no expansion). */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unclosed ${quote} in --cmd`);
  if (inWord) words.push(cur);
  return words;
}

const BURST_CHOICES: BurstModelChoice[] = ['auto', 'gp2', 'none'];

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A plain-text table; columns from `rightFrom` up to (not including) `rightTo` are right-aligned. */
function table(rows: string[][], rightFrom = 1, rightTo = Infinity): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => pad(c, widths[i]!, i >= rightFrom && i < rightTo)).join('  ').trimEnd()).join('\n');
}

function distRow(name: string, d: Distribution): string[] {
  return [name, ...[d.p50, d.p90, d.p99, d.max, d.mean].map((v) => (Number.isFinite(v) ? formatDuration(v) : '-'))];
}

const MAX_STALLS_SHOWN = 5;

export function renderStartText(r: StartBenchResult, ctx: CliContext): string {
  const s = r.summary;
  const lines: string[] = [];
  lines.push(ctx.style.bold(`bench start: ${s.iterations} containers of ${r.image}${r.cmd ? ` (${r.cmd.join(' ')})` : ''}, concurrency ${r.concurrency}, ${formatDuration(s.wallMs)}`));
  if (r.device) {
    lines.push(`data-root ${r.device.dataRoot} on ${r.device.chain ?? r.device.device ?? 'no block device'}${r.device.fsType ? ` (${r.device.fsType})` : ''}`);
  }
  if (r.samplerNote) lines.push(ctx.style.dim(r.samplerNote));
  lines.push('');
  lines.push(table([['phase', 'p50', 'p90', 'p99', 'max', 'mean'],
    ...PHASES.map((p) => distRow(p, s.phases[p])), distRow('total', s.total)]));
  lines.push('');
  lines.push(`containers/min: ${s.containersPerMinute.toFixed(1)}   failed: ${s.failed}   stalls: ${s.stalls} (over ${r.stallOptions.factor}x the rolling median)`);
  const host = summariseSamples(r.samples);
  if (host) {
    lines.push(`host: ${host.device ? `${host.device} mean ${Math.round(host.iops)} IOPS, max await ${host.writeAwaitMs >= host.readAwaitMs ? host.writeAwaitMs.toFixed(1) : host.readAwaitMs.toFixed(1)} ms, max util ${host.utilPercent.toFixed(0)}%, ` : ''}`
      + `max iowait ${host.iowaitPercent.toFixed(1)}%, max D-state tasks ${host.blockedTasks} (${r.samples.length} samples)`);
  }
  if (r.burst) lines.push(`burst: ${r.burst.basis}`);
  // the slowest stalls in full; the rest are in --json and --out
  // stall findings come in the order of r.stalls, whose records carry the durations to rank them by
  const stalls = r.findings.filter((f) => f.id === 'bench/start-stall')
    .map((finding, i) => ({ finding, durationMs: r.stalls[i]?.durationMs ?? 0 }))
    .sort((a, b) => b.durationMs - a.durationMs)
    .map((s) => s.finding);
  const shown = [...r.findings.filter((f) => f.id !== 'bench/start-stall'), ...stalls.slice(0, MAX_STALLS_SHOWN)];
  if (shown.length) {
    lines.push('');
    lines.push(renderFindings(sortFindings(shown), ctx.style));
  }
  if (stalls.length > MAX_STALLS_SHOWN) {
    lines.push('');
    lines.push(ctx.style.dim(`… and ${stalls.length - MAX_STALLS_SHOWN} more stalls (all of them in --json and --out)`));
  }
  return lines.join('\n');
}

/** The `--json` result of bench start: everything but the per-iteration and per-sample rows. */
export function startJsonResult(r: StartBenchResult): Omit<StartBenchResult, 'iterations' | 'samples'> & { sampleCount: number } {
  const { iterations: _i, samples, ...rest } = r;
  return { ...rest, sampleCount: samples.length };
}

function setExitFor(findings: readonly Finding[], failOn: Severity | undefined, setExit: (code: number) => void): void {
  if (failOn && reachesThreshold(findings, failOn)) setExit(1);
}

interface StartFlags {
  image: string;
  cmd?: string;
  iterations?: string;
  duration?: string;
  concurrency: string;
  stallFactor: string;
  stallWindow: string;
  stallMinMs: string;
  interval: string;
  sampler: boolean;
  cgroupParent?: string;
  burstModel: string;
  out?: string;
  failOn?: string;
}

function registerStart(bench: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  bench.command('start')
    .description('loop create -> start -> wait -> remove through the Engine API, sample the data-root disk, explain stalls')
    .argument('[cmd...]', 'command for the container (after --), instead of --cmd')
    .requiredOption('--image <ref>', 'image to start (must be present; never pulled)')
    .option('--cmd <command>', 'command for the container, split like a shell does')
    .option('-n, --iterations <n>', 'number of containers (default 20 unless --duration)')
    .option('--duration <time>', 'keep starting containers for this long (30s, 5m, 1h)')
    .option('--concurrency <n>', 'parallel loops', '1')
    .option('--stall-factor <k>', 'a stall is slower than k x the rolling median', '3')
    .option('--stall-window <n>', 'iterations in the rolling median', '50')
    .option('--stall-min-ms <ms>', 'a stall also exceeds the median by at least this much', '250')
    .option('--interval <ms>', 'host sampling interval', '1000')
    .option('--no-sampler', 'do not sample the host')
    .option('--cgroup-parent <path>', 'cgroup parent for the containers (as docker run --cgroup-parent)')
    .option('--burst-model <model>', 'burst-credit model for the data-root disk: auto, gp2, none', 'auto')
    .option('--out <dir>', 'write iterations.csv, samples.csv and timeline.json here')
    .option('--fail-on <severity>', 'exit 1 when a finding reaches info, warn or error')
    .action(async (args: string[], flags: StartFlags) => {
      const c = ctx();
      if (flags.cmd && args.length) throw new UsageError('give the command either with --cmd or after --, not both');
      if (!BURST_CHOICES.includes(flags.burstModel as BurstModelChoice)) throw new UsageError('--burst-model takes auto, gp2 or none');
      const failOn = flags.failOn ? parseSeverity(flags.failOn, '--fail-on') : undefined;
      const cmd = flags.cmd ? splitCommand(flags.cmd) : args.length ? args : undefined;
      const iterations = flags.iterations ? parsePositive(flags.iterations, '-n') : undefined;
      const durationMs = flags.duration ? parseDuration(flags.duration, '--duration') : undefined;
      const concurrency = parsePositive(flags.concurrency, '--concurrency');
      const minExcessMs = Number(flags.stallMinMs);
      if (!Number.isFinite(minExcessMs) || minExcessMs < 0) throw new UsageError(`--stall-min-ms takes a number of ms >= 0, not "${flags.stallMinMs}"`);
      const stall = {
        factor: parsePositive(flags.stallFactor, '--stall-factor', false),
        window: parsePositive(flags.stallWindow, '--stall-window'),
        minExcessMs,
      };
      if (stall.factor <= 1) throw new UsageError('--stall-factor must be greater than 1');
      const sampleIntervalMs = flags.sampler ? parsePositive(flags.interval, '--interval') : 0;
      const engine = await connectEngine({ ...c.connectOptions(), timeoutMs: 600_000 });
      const tty = Boolean(c.io.stderr.isTTY) && !c.globals.quiet;
      let lastLine = 0;
      // Ctrl-C ends the loop after the iterations in flight, so their containers are removed and the
      // summary still prints; a second Ctrl-C kills as usual
      const stop = new AbortController();
      const onSigint = () => {
        c.progress('\nstopping after the containers in flight (Ctrl-C again to kill)');
        stop.abort();
      };
      process.once('SIGINT', onSigint);
      const result = await runStartBench(engine, {
        signal: stop.signal,
        image: flags.image,
        ...(cmd ? { cmd } : {}),
        ...(iterations !== undefined ? { iterations } : {}),
        ...(durationMs !== undefined ? { durationMs } : {}),
        concurrency,
        stall,
        sampleIntervalMs,
        ...(flags.cgroupParent ? { cgroupParent: flags.cgroupParent } : {}),
        burstModel: flags.burstModel as BurstModelChoice,
        localEngine: engine.endpoint.transport.kind === 'unix',
        onIteration: (rec, p) => {
          const line = `${p.done}${p.target ? `/${p.target}` : ''} containers  p50 ${formatDuration(p.p50Ms)}  p99 ${formatDuration(p.p99Ms)}  last ${formatDuration(p.lastMs)}  stalls ${p.stalls}${p.failed ? `  failed ${p.failed}` : ''}`;
          if (tty) c.io.stderr.write(`\r\x1b[K${line}`);
          else if (rec.stall || p.done === 1 || Date.now() - lastLine >= 5000) {
            c.progress(`${line}${rec.stall ? `  <- stall: #${rec.index} took ${formatDuration(rec.totalMs)}` : ''}`);
            lastLine = Date.now();
          }
        },
      }).finally(() => process.removeListener('SIGINT', onSigint));
      if (tty) c.io.stderr.write('\n');
      const json = renderJson('bench start', result);
      if (flags.out) {
        const files = await writeTimeline(flags.out, result, json);
        c.progress(`timeline written: ${files.join(', ')}`);
      }
      c.out(c.json ? renderJson('bench start', startJsonResult(result)) : renderStartText(result, c));
      setExitFor(result.findings, failOn, setExit);
    });
}

export const registerBench: RegisterCommand = (program, ctx, setExit) => {
  const bench = program.command('bench').description('reproduce slow starts, slow disks and slow builds, and say why');
  registerStart(bench, ctx, setExit);
  registerDisk(bench, ctx, setExit);
  registerBuild(bench, ctx, setExit);
};

export function renderBuildText(r: BuildBenchResult, ctx: CliContext): string {
  const lines: string[] = [];
  for (const run of r.runs) {
    if (lines.length) lines.push('');
    lines.push(ctx.style.bold(`bench build: ${run.dockerfile} in ${formatDuration(run.totalMs)}: ${describeRating(run.rating, r.thresholds)}`));
    lines.push(`builder: ${run.builderNote}`);
    lines.push(`image: ${formatBytes(run.imageSize)}, ${run.layers} layers${run.dataRootGrowth !== undefined ? `, data-root grew ${formatBytes(run.dataRootGrowth)}` : ''}${run.kept ? `, kept as ${run.tag}` : ''}`);
    lines.push('');
    const steps = run.steps.filter((s) => !s.internal);
    lines.push(table([['step', 'time', 'share', ''], ...steps.map((s) => [
      s.name.length > 70 ? `${s.name.slice(0, 67)}...` : s.name,
      s.durationMs === undefined ? '-' : formatDuration(s.durationMs),
      s.durationMs === undefined ? '' : `${Math.round((s.durationMs / run.totalMs) * 100)}%`,
      s.cached ? 'cached' : '',
    ])], 1, 3));
  }
  if (r.comparison && r.runs.length === 2) {
    const [a, b] = r.runs as [BuildBenchResult['runs'][0], BuildBenchResult['runs'][0]];
    lines.push('');
    lines.push(ctx.style.bold('comparison'));
    lines.push(table([
      ['', 'time', 'image size', 'layers'],
      [a.dockerfile, formatDuration(a.totalMs), formatBytes(a.imageSize), String(a.layers)],
      [b.dockerfile, formatDuration(b.totalMs), formatBytes(b.imageSize), String(b.layers)],
      ['second / first', `${r.comparison.timeRatio.toFixed(2)}x`, `${r.comparison.sizeRatio.toFixed(2)}x`, `${r.comparison.layerDelta >= 0 ? '+' : ''}${r.comparison.layerDelta}`],
    ]));
  }
  const notable = r.findings.filter((f) => f.id !== 'bench/build-time');
  if (notable.length) {
    lines.push('');
    lines.push(renderFindings(sortFindings(notable), ctx.style));
  }
  return lines.join('\n');
}

interface BuildFlags {
  file?: string;
  vs?: string;
  builder: string;
  cache?: boolean;
  keep?: boolean;
  network?: string;
  thresholds: string;
  failOn?: string;
}

function registerBuild(bench: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  bench.command('build')
    .description('build DIR through the engine with per-step times, image size, layers, data-root growth and an assessment')
    .argument('<dir>', 'build context')
    .option('-f, --file <dockerfile>', 'Dockerfile (default DIR/Dockerfile)')
    .option('--vs <dockerfile>', 'build this Dockerfile the same way and compare')
    .option('--builder <builder>', 'auto (BuildKit, classic if the engine refuses it), buildkit, classic', 'auto')
    .option('--cache', 'use the build cache (default: cold builds, so runs compare)')
    .option('--keep', 'keep the built images (default: removed)')
    .option('--network <mode>', 'network for RUN steps (e.g. host)')
    .option('--thresholds <min,min,min>', 'upper bounds in minutes of excellent, good, acceptable', '2,5,10')
    .option('--fail-on <severity>', 'exit 1 when a finding reaches info, warn or error')
    .action(async (dir: string, flags: BuildFlags) => {
      const c = ctx();
      if (!['auto', 'buildkit', 'classic'].includes(flags.builder)) throw new UsageError('--builder takes auto, buildkit or classic');
      const t = flags.thresholds.split(',').map((x) => parsePositive(x.trim(), '--thresholds', false));
      if (t.length !== 3 || !(t[0]! < t[1]! && t[1]! < t[2]!)) throw new UsageError('--thresholds takes three increasing minutes, e.g. 2,5,10');
      const failOn = flags.failOn ? parseSeverity(flags.failOn, '--fail-on') : undefined;
      const engine = await connectEngine(c.connectOptions());
      const result = await runBuildBench(engine, {
        dir,
        ...(flags.file ? { dockerfile: flags.file } : {}),
        ...(flags.vs ? { vs: flags.vs } : {}),
        builder: flags.builder as BuilderChoice,
        cache: Boolean(flags.cache),
        keep: Boolean(flags.keep),
        ...(flags.network ? { networkMode: flags.network } : {}),
        thresholds: { excellentMin: t[0]!, goodMin: t[1]!, acceptableMin: t[2]! },
        onProgress: (m) => c.progress(m),
      });
      c.out(c.json ? renderJson('bench build', result) : renderBuildText(result, c));
      setExitFor(result.findings, failOn, setExit);
    });
}

const rate = (bytesPerSec: number) => `${formatBytes(bytesPerSec)}/s`;

export function renderDiskText(r: DiskBenchResult, ctx: CliContext): string {
  const lines: string[] = [];
  lines.push(ctx.style.bold(`bench disk: ${r.path}${r.device.chain ? ` on ${r.device.chain}` : ''}${r.device.fsType ? ` (${r.device.fsType})` : ''}`));
  lines.push(`ran: ${r.toolDetail}`);
  lines.push('');
  lines.push(table([
    ['test', 'result', 'detail'],
    ['sync write 1 MiB p50', formatDuration(r.syncWrite.p50Ms), `${r.syncWrite.writes} writes, ${rate(r.syncWrite.bytesPerSec)}`],
    ['sync write 1 MiB p99', formatDuration(r.syncWrite.p99Ms), `max ${formatDuration(r.syncWrite.maxMs)}`],
    ['4k random write', `${Math.round(r.randomWrite.iops)} IOPS`, r.randomWrite.method],
    ['sequential write', rate(r.sequentialWrite.bytesPerSec), r.sequentialWrite.method],
  ], 1, 2));
  const c = r.comparison;
  if (c) {
    lines.push('');
    lines.push(ctx.style.bold(`host vs container (${c.image}${c.writeLimit ? `, limited to ${c.writeLimit.rate} write IOPS on ${c.writeLimit.path}` : ''}; ${c.method})`));
    if (c.upperDir) lines.push(ctx.style.dim(`container writes landed in ${c.upperDir}`));
    lines.push(table([
      ['test', 'host', 'container', 'container/host'],
      ['sync write p50', formatDuration(c.host.syncWrite.p50Ms), formatDuration(c.container.syncWrite.p50Ms), `${c.ratios.syncP50.toFixed(2)}x`],
      ['sync write p99', formatDuration(c.host.syncWrite.p99Ms), formatDuration(c.container.syncWrite.p99Ms), `${(c.container.syncWrite.p99Ms / c.host.syncWrite.p99Ms).toFixed(2)}x`],
      ["4k fsync'd writes/s", String(Math.round(c.host.smallWritesPerSec)), String(Math.round(c.container.smallWritesPerSec)), `${c.ratios.smallWrites.toFixed(2)}x`],
      ['sequential write', rate(c.host.sequentialBytesPerSec), rate(c.container.sequentialBytesPerSec), `${c.ratios.sequential.toFixed(2)}x`],
      ['dd start-up (taken off)', formatDuration(c.host.ddOverheadMs), formatDuration(c.container.ddOverheadMs), ''],
    ]));
  }
  if (r.findings.length) {
    lines.push('');
    lines.push(renderFindings(sortFindings(r.findings), ctx.style));
  }
  return lines.join('\n');
}

interface DiskFlags {
  tool: string;
  runtime: string;
  syncWrites: string;
  inContainer?: boolean;
  image?: string;
  writeIops?: string;
  failOn?: string;
}

function registerDisk(bench: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  bench.command('disk')
    .description('sync-write latency, 4k random-write IOPS and sequential throughput where PATH lives (default: the data-root)')
    .argument('[path]', 'a directory on the filesystem to measure (default: the engine\'s data-root)')
    .option('--tool <tool>', 'auto (fio when installed), fio, built-in', 'auto')
    .option('--runtime <time>', 'length of the random and sequential runs', '5s')
    .option('--sync-writes <n>', '1 MiB sync writes (10 = dd bs=1M count=10 oflag=sync)', '10')
    .option('--in-container', 'also run a dd probe inside a container and beside it on the host, side by side')
    .option('--image <ref>', 'image for --in-container (needs sh and dd; never pulled)')
    .option('--write-iops <n>', 'run the --in-container probe with this write IOPS limit on the device (as docker run --device-write-iops)')
    .option('--fail-on <severity>', 'exit 1 when a finding reaches info, warn or error')
    .action(async (path: string | undefined, flags: DiskFlags) => {
      const c = ctx();
      if (!['auto', 'fio', 'built-in'].includes(flags.tool)) throw new UsageError('--tool takes auto, fio or built-in');
      if (flags.inContainer && !flags.image) throw new UsageError('--in-container needs --image (an image with sh and dd)');
      const failOn = flags.failOn ? parseSeverity(flags.failOn, '--fail-on') : undefined;
      const runtimeMs = parseDuration(flags.runtime, '--runtime');
      const syncWrites = parsePositive(flags.syncWrites, '--sync-writes');
      const writeIops = flags.writeIops ? parsePositive(flags.writeIops, '--write-iops') : undefined;
      if (writeIops !== undefined && !flags.inContainer) throw new UsageError('--write-iops applies to the --in-container probe');
      const needEngine = !path || flags.inContainer;
      const engine = needEngine ? await connectEngine(c.connectOptions()) : undefined;
      if (engine && engine.endpoint.transport.kind !== 'unix') {
        // the probe runs on this host: a remote engine's data-root and containers are elsewhere
        throw new UsageError(`bench disk measures this host, but the engine at ${engine.endpoint.url} is remote`,
          'Run stowage on the engine\'s host, or give a PATH here and leave out --in-container.');
      }
      const target = path ? resolvePath(path) : (await engine!.info()).dockerRootDir;
      const result = await runDiskBench({
        path: target,
        tool: flags.tool as DiskTool,
        runtimeMs,
        syncWrites,
        ...(flags.inContainer ? { inContainer: { engine: engine!, image: flags.image!, ...(writeIops !== undefined ? { writeIops } : {}) } } : {}),
        onProgress: (m) => c.progress(m),
      });
      c.out(c.json ? renderJson('bench disk', result) : renderDiskText(result, c));
      setExitFor(result.findings, failOn, setExit);
    });
}

