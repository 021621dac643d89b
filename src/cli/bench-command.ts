/** `stowage bench start|disk|build`: parse flags, run the benchmark, render its summary. */
import type { Command } from 'commander';
import { connectEngine } from '../engine/dockerode-engine.js';
import { UsageError } from '../errors.js';
import { reachesThreshold, type Finding, type Severity } from '../findings.js';
import { formatDuration } from '../report/format.js';
import { renderJson } from '../report/json-document.js';
import { renderBuildText, renderDiskText, renderStartText } from '../report/bench-text.js';
import { runStartBench, type StartBenchResult } from '../bench/start-loop.js';
import { writeTimeline } from '../bench/timeline.js';
import type { BurstModelChoice } from '../measure/burst-estimate.js';
import { runDiskBench, type DiskTool } from '../bench/disk-bench.js';
import { resolve as resolvePath } from 'node:path';
import { runBuildBench, type BuilderChoice } from '../bench/build-bench.js';
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
      c.out(c.json ? renderJson('bench start', startJsonResult(result)) : renderStartText(result, c.style));
      setExitFor(result.findings, failOn, setExit);
    });
}

export const registerBench: RegisterCommand = (program, ctx, setExit) => {
  const bench = program.command('bench').description('reproduce slow starts, slow disks and slow builds, and say why');
  registerStart(bench, ctx, setExit);
  registerDisk(bench, ctx, setExit);
  registerBuild(bench, ctx, setExit);
};

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
      c.out(c.json ? renderJson('bench build', result) : renderBuildText(result, c.style));
      setExitFor(result.findings, failOn, setExit);
    });
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
      c.out(c.json ? renderJson('bench disk', result) : renderDiskText(result, c.style));
      setExitFor(result.findings, failOn, setExit);
    });
}

