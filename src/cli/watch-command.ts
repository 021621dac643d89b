/** `stowage watch`: parse flags, run the watcher, print its events as they happen, export metrics. */
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { loadConfig } from '../config/config-file.js';
import { ExitCode, UsageError } from '../errors.js';
import { reachesThreshold } from '../findings.js';
import { SCHEMA_VERSION } from '../render/json-document.js';
import { renderPrometheusText } from '../render/prometheus-text.js';
import { renderWatchEvent } from '../render/watch-text.js';
import { BURST_MODEL_NAMES, type BurstChoice, type BurstModelName } from '../watch/burst-params.js';
import { serveMetrics, writeTextfile, type MetricsServer } from '../watch/metrics-exporters.js';
import { WatchMetrics } from '../watch/watch-metrics.js';
import { runWatch, type WatchEvent, type WatchOptions } from '../watch/watch.js';
import { parseSeverity } from './cli-context.js';
import type { RegisterCommand } from './main.js';
import { parseChoiceFlag, parseDurationFlag, parseNumberFlag, parsePercentFlag } from './option-parsers.js';
import { splitCommand } from './bench/bench-flags.js';

interface WatchFlags {
  dataRoot?: string;
  device?: string;
  interval?: string;
  once?: boolean;
  count?: string;
  burstModel: string;
  size?: string;
  baselineIops?: string;
  burstIops?: string;
  bucketCredits?: string;
  horizon: string;
  rateWindow: string;
  full: string;
  listen?: string;
  textfile?: string;
  canary?: string;
  canaryCmd?: string;
  every: string;
  canaryFactor: string;
  failOn?: string;
}

/** `127.0.0.1:9323`, `[::1]:9323` or `:9323` (all addresses). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`--listen takes HOST:PORT such as 127.0.0.1:9323, not "${text}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/**
 * `--size 100G`: a volume's size as the providers state it, in binary units (an EBS "100 GiB" volume);
 * a bare number is GiB, G/GB/GiB are GiB and T/TB/TiB are TiB.
 */
export function parseVolumeSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(?:(g|gb|gib)|(t|tb|tib))?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--size takes a volume size in GiB such as 100, 100G or 1T, not "${text}"`);
  return Number(m[1]) * 1024 ** (m[3] ? 4 : 3);
}

export const registerWatch: RegisterCommand = (program: Command, ctx, setExit) => {
  program.command('watch')
    .description('keep measuring the data-root disk, predict burst-credit exhaustion, export Prometheus metrics')
    .option('--data-root <path>', "the engine's data-root (default: what the engine says)")
    .option('--device <name>', 'the block device to sample (default: the one under the data-root)')
    .option('--interval <time>', 'sampling interval (default 1s, or the config file\'s watch.interval)')
    .option('--once', 'take one reading, print it and exit (for cron and the textfile collector)')
    .option('--count <n>', 'stop after this many readings')
    .option('--burst-model <model>', `burst-credit model: ${BURST_MODEL_NAMES.join(', ')}`, 'auto')
    .option('--size <size>', 'volume size for gp2 and the Azure models (default: the disk\'s size)')
    .option('--baseline-iops <n>', 'custom model: baseline IOPS')
    .option('--burst-iops <n>', 'custom model: burst IOPS')
    .option('--bucket-credits <n>', 'custom model: bucket size in I/O credits')
    .option('--horizon <time>', 'warn when the credits run out within this', '30m')
    .option('--rate-window <time>', 'predict at the mean IOPS over this window', '60s')
    .option('--full <share>', 'warn when the data-root filesystem is this full (error at halfway to 100%)', '90%')
    .option('--listen <host:port>', 'serve /metrics in the Prometheus text format here (e.g. 127.0.0.1:9323)')
    .option('--textfile <dir>', "write stowage.prom here after each reading, for node_exporter's textfile collector")
    .option('--canary <image>', 'time a container start of this image every --every (create/start/wait/remove)')
    .option('--canary-cmd <command>', "the canary's command (default: the image's)")
    .option('--every <time>', 'canary period', '60s')
    .option('--canary-factor <k>', 'a canary start slower than k x its rolling median is slow', '3')
    .option('--fail-on <severity>', 'with --once/--count: exit 1 when an active finding reaches info, warn or error')
    .addHelpText('after', '\nExit codes: 0 done, 1 findings at --fail-on, 2 usage, 3 engine unreachable, 4 bad input, 5 port in use, 6 host failure (textfile not writable), 130 Ctrl-C.'
      + '\n\nWith --json every event is one JSON line (NDJSON); stowage report draws a snapshot of them:\n  stowage watch --json --count 60 > watch.ndjson; stowage report watch.ndjson -o report.html')
    .action(async (flags: WatchFlags) => {
      // watch runs for days. V8's optimising compiler compiles its few hot functions on worker threads, and
      // glibc keeps each worker's malloc arena at its peak: those arenas grew 0.3 -> 5.0 MB in 50 minutes at
      // 1 Hz. bin/stowage starts watch with node's --single-threaded (no V8 worker threads), which can only be
      // given at start. Started otherwise (`node bin/stowage watch`), the compiler's arenas are what grows:
      // without it they stayed within 0.43-0.55 MB, at the same CPU (baseline code is fast enough for one
      // reading a second). Set while running, the flag only stops new optimisations (the GC's flags, set the
      // same way, crashed V8: they are not touched). The baseline compiler (Sparkplug) is stopped too: it kept
      // compiling functions as they warmed up, and watch's code space grew 640 -> 820 kB over its first ten
      // minutes; without it the code stays at ~0.1 MB from the first minute, at the same CPU (the interpreter is
      // fast enough for one reading a second). README, watch, "Memory".
      setFlagsFromString('--no-opt');
      setFlagsFromString('--no-sparkplug');
      const c = ctx();
      const model = parseChoiceFlag(flags.burstModel, '--burst-model', BURST_MODEL_NAMES) as BurstModelName;
      const burst: BurstChoice = { model };
      if (flags.size !== undefined) burst.sizeBytes = parseVolumeSize(flags.size);
      const custom = [flags.baselineIops, flags.burstIops, flags.bucketCredits].some((v) => v !== undefined);
      if (custom && model !== 'custom') throw new UsageError('--baseline-iops, --burst-iops and --bucket-credits go with --burst-model custom');
      if (flags.baselineIops !== undefined) burst.baselineIops = parseNumberFlag(flags.baselineIops, '--baseline-iops', { above: 0 });
      if (flags.burstIops !== undefined) burst.burstIops = parseNumberFlag(flags.burstIops, '--burst-iops', { above: 0 });
      if (flags.bucketCredits !== undefined) burst.bucketCredits = parseNumberFlag(flags.bucketCredits, '--bucket-credits', { above: 0 });
      const config = loadConfig();
      const intervalMs = flags.interval !== undefined ? parseDurationFlag(flags.interval, '--interval', 's', { min: 100, max: 3_600_000 }) : config.watch?.intervalMs ?? 1000;
      if (flags.once && flags.count !== undefined) throw new UsageError('give --once or --count, not both');
      const readings = flags.once ? 1 : flags.count !== undefined ? parseNumberFlag(flags.count, '--count', { above: 0, integer: true }) : undefined;
      const failOn = flags.failOn ? parseSeverity(flags.failOn, '--fail-on') : undefined;
      const full = parsePercentFlag(flags.full, '--full');
      const listen = flags.listen !== undefined ? parseListen(flags.listen) : undefined;
      const options: WatchOptions = {
        intervalMs,
        horizonMs: parseDurationFlag(flags.horizon, '--horizon', 's', { min: 1000, max: 7 * 86_400_000 }),
        rateWindowMs: parseDurationFlag(flags.rateWindow, '--rate-window', 's', { min: 1000, max: 86_400_000 }),
        fullWarnRatio: full,
        fullErrorRatio: full + (1 - full) / 2,
        burst,
        ...(flags.dataRoot !== undefined ? { dataRoot: flags.dataRoot } : {}),
        ...(flags.device !== undefined ? { device: flags.device } : {}),
        ...(readings !== undefined ? { readings } : {}),
      };
      if (flags.canary !== undefined) {
        const factor = parseNumberFlag(flags.canaryFactor, '--canary-factor', { above: 1 });
        options.canary = {
          image: flags.canary,
          everyMs: parseDurationFlag(flags.every, '--every', 's', { min: 1000, max: 86_400_000 }),
          factor,
          ...(flags.canaryCmd ? { cmd: splitCommand(flags.canaryCmd) } : {}),
        };
      }
      const metrics = new WatchMetrics();
      const render = () => renderPrometheusText(metrics.families());
      let server: MetricsServer | undefined;
      // the textfile is written after each reading; writes never overlap, the last one wins
      let writing: Promise<unknown> = Promise.resolve();
      if (flags.textfile !== undefined) await writeTextfile(flags.textfile, render());
      if (listen) {
        server = await serveMetrics(listen.host, listen.port, render);
        c.progress(`serving metrics at http://${server.address}/metrics`);
      }
      const base = c.capabilityContext('watch', { interruptible: true });
      // a textfile that can no longer be written stops watch with that error (exit 6), as at start
      const stop = new AbortController();
      const write = () => {
        if (flags.textfile === undefined) return;
        const dir = flags.textfile;
        writing = writing.then(() => writeTextfile(dir, render())).catch((err) => { if (!stop.signal.aborted) stop.abort(err); });
      };
      const onEvent = (e: WatchEvent) => {
        metrics.update(e);
        if (c.json) c.out(JSON.stringify({ schemaVersion: SCHEMA_VERSION, ...e }));
        else if (e.type === 'start') c.progress(renderWatchEvent(e, c.style));
        else c.out(renderWatchEvent(e, c.style));
        if (e.type === 'reading') write();
      };
      const closed = c.io.outputClosed;
      try {
        const result = await runWatch({ ...options, onEvent }, { ...base, signal: AbortSignal.any([base.signal, stop.signal, ...(closed ? [closed] : [])]) });
        if (failOn && reachesThreshold(result.findings, failOn)) setExit(ExitCode.findings);
      } catch (err) {
        // stdout's reader has gone (`stowage watch --json | head -3`): watch stops there, as at the end of --count
        if (!closed?.aborted || err !== closed.reason) throw err;
      } finally {
        await writing;
        await server?.close();
      }
    });
};
