/** `stowage bench disk [PATH]`: parse flags, run the disk probes with each phase shown live, render the table. */
import type { Command } from 'commander';
import { resolve as resolvePath } from 'node:path';
import { UsageError } from '../../errors.js';
import type { Progress } from '../../progress.js';
import { formatDuration } from '../../render/format.js';
import { renderJson } from '../../render/json-document.js';
import { renderDiskText } from '../../render/bench-text.js';
import { runDiskBench, type DiskTool } from '../../bench/disk-bench.js';
import type { CliContext } from '../cli-context.js';
import { parseSeverity } from '../cli-context.js';
import { benchSink, parseDuration, parsePositive, setExitFor } from './bench-flags.js';
import { elapsedText, type LiveLine } from './live-line.js';

interface DiskFlags {
  tool: string;
  runtime: string;
  syncWrites: string;
  inContainer?: boolean;
  image?: string;
  writeIops?: string;
  failOn?: string;
}

/**
 * Shows each phase live as it runs (its `detail.expectedMs` gives an ETA, its `detail.stage` where it is now,
 * as the in-container probe's `1.05 MB fsync'd writes 4/10`) and leaves one line per finished phase with the
 * time it took; the last one when the progress ends. Without a terminal a moving stage prints at most every
 * few seconds, so a long phase still shows in a log.
 */
export function phaseProgress(live: LiveLine, now: () => number = () => performance.now()): Progress {
  let current: { step: string; at: number; expectedMs: number | undefined } | undefined;
  const finish = () => {
    if (current) live.log(`${current.step}: ${formatDuration(now() - current.at)}`);
    current = undefined;
  };
  return {
    update: (u) => {
      const stage = typeof u.detail?.stage === 'string' ? u.detail.stage : undefined;
      const fresh = u.step !== current?.step;
      if (fresh) {
        finish();
        current = { step: u.step, at: now(), expectedMs: typeof u.detail?.expectedMs === 'number' ? u.detail.expectedMs : undefined };
      } else if (stage === undefined) return;
      const { step, at, expectedMs } = current!;
      const head = stage ? `${step}  ${stage}` : step;
      // the elapsed time once there is some to show (a terminal redraws it every second)
      live.set((ms) => (ms >= 1000 ? `${head}  ${elapsedText(ms, expectedMs ? Math.min(0.99, ms / expectedMs) : undefined)}` : head), { since: at, force: fresh });
    },
    note: (message) => live.log(message),
    end: () => {
      finish();
      live.clear();
    },
  };
}

export function registerDisk(bench: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
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
      // Ctrl-C stops the probe in flight; its files and container are removed before exit 130
      const context = c.capabilityContext('bench disk', { interruptible: true, engineTimeoutMs: 30_000, sink: benchSink(c, phaseProgress) });
      const result = await runDiskBench({
        ...(path ? { path: resolvePath(path) } : {}),
        tool: flags.tool as DiskTool,
        runtimeMs,
        syncWrites,
        ...(flags.inContainer ? { inContainer: { image: flags.image!, ...(writeIops !== undefined ? { writeIops } : {}) } } : {}),
      }, context).finally(() => context.progress.end());
      c.out(c.json ? renderJson('bench disk', result) : renderDiskText(result, c.style));
      setExitFor(result.findings, failOn, setExit);
    });
}
