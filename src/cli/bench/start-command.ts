/** `stowage bench start`: parse flags, run the start loop with live progress, render its summary. */
import { isLocalEndpoint } from '../../engine/endpoint.js';
import type { Command } from 'commander';
import { connectEngine } from '../../engine/dockerode-engine.js';
import { ExitCode, UsageError } from '../../errors.js';
import { formatDuration } from '../../render/format.js';
import { renderJson } from '../../render/json-document.js';
import { renderStartText } from '../../render/bench-text.js';
import { runStartBench, type IterationRecord, type StartBenchResult, type StartProgress } from '../../bench/start-loop.js';
import { writeTimeline } from '../../bench/timeline.js';
import type { BurstModelChoice } from '../../measure/burst-estimate.js';
import type { CliContext } from '../cli-context.js';
import { parseSeverity } from '../cli-context.js';
import { parseDuration, parsePositive, setExitFor, splitCommand } from './bench-flags.js';
import { elapsedText, LiveLine } from './live-line.js';

const BURST_CHOICES: BurstModelChoice[] = ['auto', 'gp2', 'none'];

/** Docker's rule for container names, which the prefix starts. */
const NAME_PREFIX = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The `--json` result of bench start: everything but the per-iteration and per-sample rows. */
export function startJsonResult(r: StartBenchResult): Omit<StartBenchResult, 'iterations' | 'samples'> & { sampleCount: number } {
  const { iterations: _i, samples, ...rest } = r;
  return { ...rest, sampleCount: samples.length };
}

/** The live status of the loop; p50 and p99 read `-` until a start has succeeded (never `NaN`). */
export function startStatusLine(p: StartProgress, elapsedMs: number): string {
  const d = (ms: number) => (Number.isFinite(ms) ? formatDuration(ms) : '-');
  const fraction = p.target ? p.done / p.target : undefined;
  return `${p.done}${p.target ? `/${p.target}` : ''} containers  p50 ${d(p.p50Ms)}  p99 ${d(p.p99Ms)}  last ${d(p.lastMs)}  stalls ${p.stalls}`
    + `${p.failed ? `  failed ${p.failed}` : ''}  ${elapsedText(elapsedMs, fraction)}`;
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
      const engine = await connectEngine({ ...c.connectOptions(), timeoutMs: 600_000 });
      const live = new LiveLine({ stderr: c.io.stderr, quiet: Boolean(c.globals.quiet) });
      const t0 = performance.now();
      // Ctrl-C ends the loop after the iterations in flight, so their containers are removed and the
      // summary still prints, then exits 130; a second Ctrl-C kills as usual
      const stop = new AbortController();
      const onSigint = () => {
        live.log('stopping after the containers in flight (Ctrl-C again to kill)');
        stop.abort();
      };
      process.once('SIGINT', onSigint);
      let result: StartBenchResult;
      try {
        result = await runStartBench(engine, {
          signal: stop.signal,
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
          localEngine: isLocalEndpoint(engine.endpoint),
          onIteration: (rec: IterationRecord, p: StartProgress) => {
            if (rec.stall) live.log(`stall: #${rec.index} took ${formatDuration(rec.totalMs)}`);
            live.set((ms) => startStatusLine(p, ms), { since: t0, force: p.done === 1 || rec.stall });
          },
        });
      } finally {
        process.removeListener('SIGINT', onSigint);
        live.clear();
      }
      const json = renderJson('bench start', result);
      if (flags.out) {
        const files = await writeTimeline(flags.out, result, json);
        c.progress(`timeline written: ${files.join(', ')}`);
      }
      c.out(c.json ? renderJson('bench start', startJsonResult(result)) : renderStartText(result, c.style));
      setExitFor(result.findings, failOn, setExit);
      if (result.interrupted) setExit(ExitCode.interrupted);
    });
}
