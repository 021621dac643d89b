/** `stowage bench start`: parse flags, run the start loop with live progress, render its summary. */
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import type { Progress } from '../../progress.js';
import { formatDuration } from '../../render/format.js';
import { renderJson } from '../../render/json-document.js';
import { renderStartText } from '../../render/bench-text.js';
import { runStartBench, type StartProgress } from '../../bench/start-loop.js';
import type { BurstModelChoice } from '../../measure/burst-estimate.js';
import type { CliContext } from '../cli-context.js';
import { parseSeverity } from '../cli-context.js';
import { benchSink, parseDuration, parsePositive, setExitFor, splitCommand } from './bench-flags.js';
import { elapsedText, type LiveLine } from './live-line.js';

const BURST_CHOICES: BurstModelChoice[] = ['auto', 'gp2', 'none'];

/** Docker's rule for container names, which the prefix starts. */
const NAME_PREFIX = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The live status of the loop; p50 and p99 read `-` until a start has succeeded (never `NaN`), and while every start failed it says so. */
export function startStatusLine(p: StartProgress, elapsedMs: number): string {
  const d = (ms: number) => (Number.isFinite(ms) ? formatDuration(ms) : '-');
  const fraction = p.target ? p.done / p.target : undefined;
  const head = `${p.done}${p.target ? `/${p.target}` : ''} containers`;
  // nothing has worked yet: no figures to show, say so (the loop gives up after 5 such starts)
  if (p.done > 0 && p.failed === p.done) return `${head}  ${p.done === 1 ? 'the start' : `all ${p.done} starts`} failed so far  ${elapsedText(elapsedMs, fraction)}`;
  return `${head}  p50 ${d(p.p50Ms)}  p99 ${d(p.p99Ms)}  last ${d(p.lastMs)}  stalls ${p.stalls}`
    + `${p.failed ? `  failed ${p.failed}` : ''}  ${elapsedText(elapsedMs, fraction)}`;
}

/**
 * The loop's status line from its progress updates (`done` of `total`, the figures in `detail`), redrawn
 * with the elapsed time; stalls and other notes are lasting lines above it. Without a terminal the line is
 * printed for the first container and after a stall, else at most every few seconds.
 */
export function startLoopProgress(live: LiveLine, now: () => number = () => performance.now()): Progress {
  const t0 = now();
  const figure = (v: unknown) => (typeof v === 'number' ? v : NaN);
  return {
    update: (u) => {
      const d = u.detail ?? {};
      const p: StartProgress = {
        done: u.done ?? 0, target: u.total, p50Ms: figure(d.p50Ms), p99Ms: figure(d.p99Ms), lastMs: figure(d.lastMs),
        stalls: figure(d.stalls), failed: figure(d.failed),
      };
      live.set((ms) => startStatusLine(p, ms), { since: t0, force: p.done === 1 || d.stalled === true });
    },
    note: (message) => live.log(message),
    end: () => live.clear(),
  };
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
  namePrefix?: string;
  burstModel: string;
  out?: string;
  failOn?: string;
}

export function registerStart(bench: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
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
    .option('--name-prefix <prefix>', 'name the containers PREFIX1, PREFIX2… (default: unnamed, labelled stowage.bench=start)')
    .option('--burst-model <model>', 'burst-credit model for the data-root disk: auto, gp2, none', 'auto')
    .option('--out <dir>', 'write iterations.csv, samples.csv and timeline.json here')
    .option('--fail-on <severity>', 'exit 1 when a finding reaches info, warn or error')
    .action(async (args: string[], flags: StartFlags) => {
      const c = ctx();
      if (flags.cmd && args.length) throw new UsageError('give the command either with --cmd or after --, not both');
      if (!BURST_CHOICES.includes(flags.burstModel as BurstModelChoice)) throw new UsageError('--burst-model takes auto, gp2 or none');
      if (flags.namePrefix !== undefined && !NAME_PREFIX.test(flags.namePrefix)) {
        throw new UsageError(`--name-prefix takes letters, digits, _ . and -, starting with a letter or digit, not "${flags.namePrefix}"`);
      }
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
      // Ctrl-C ends the loop after the iterations in flight, so their containers are removed and the
      // summary still prints, then exits 130; a second Ctrl-C exits at once. Each engine call may take
      // minutes: a stall is measured, not cut short.
      const context = c.capabilityContext('bench start', { interruptible: true, engineTimeoutMs: 600_000, sink: benchSink(c, startLoopProgress) });
      context.signal.addEventListener('abort', () => context.progress.note('stopping after the containers in flight (Ctrl-C again to kill)'), { once: true });
      const result = await runStartBench({
        image: flags.image,
        ...(cmd ? { cmd } : {}),
        ...(iterations !== undefined ? { iterations } : {}),
        ...(durationMs !== undefined ? { durationMs } : {}),
        concurrency,
        stall,
        sampleIntervalMs,
        ...(flags.cgroupParent ? { cgroupParent: flags.cgroupParent } : {}),
        ...(flags.namePrefix ? { namePrefix: flags.namePrefix } : {}),
        burstModel: flags.burstModel as BurstModelChoice,
        ...(flags.out ? { out: flags.out } : {}),
      }, context).finally(() => context.progress.end());
      c.out(c.json ? renderJson('bench start', result) : renderStartText(result, c.style));
      setExitFor(result.findings, failOn, setExit);
      if (result.interrupted) setExit(ExitCode.interrupted);
    });
}
