/**
 * The probe bench disk runs on both sides of `--in-container`: a POSIX sh script of `dd` calls (busybox and
 * GNU dd alike) that prints a marker after each step. The caller stamps each marker as it arrives, so the
 * host and the container are measured the same way: one process per write, fsync after each. The cost of
 * starting dd differs between binaries (static busybox against dynamic coreutils), so the probe first times
 * dd calls that do no I/O and takes their median off every write.
 */
import { percentile } from '../stats.js';
import type { TimedLine } from '../host/shell-probe.js';

export interface MarkerProbePlan {
  /** 1 MiB writes, each followed by fsync (`dd bs=1M count=1 conv=notrunc,fsync`). */
  syncWrites: number;
  /** 4 KiB writes at scattered offsets, each fsync'd. */
  smallWrites: number;
  /** MiB written in one sequential dd ended by fsync. */
  sequentialMiB: number;
}

export const DEFAULT_MARKER_PLAN: MarkerProbePlan = { syncWrites: 10, smallWrites: 100, sequentialMiB: 64 };

/** dd calls without I/O that measure what starting dd costs on this side. */
export const CALIBRATION_CALLS = 20;

/** The script; it works in the current directory and removes its files. */
export function markerProbeScript(plan: MarkerProbePlan): string {
  return [
    'rm -f .stowage-p.sync .stowage-p.small .stowage-p.seq',
    'echo @null-begin',
    `i=0; while [ $i -lt ${CALIBRATION_CALLS} ]; do dd if=/dev/zero of=/dev/null bs=4096 count=1 2>/dev/null; echo @null; i=$((i+1)); done`,
    'echo @begin',
    `i=0; while [ $i -lt ${plan.syncWrites} ]; do dd if=/dev/zero of=.stowage-p.sync bs=1048576 count=1 seek=$i conv=notrunc,fsync 2>/dev/null || exit 3; echo @sync; i=$((i+1)); done`,
    'echo @small-begin',
    `i=0; while [ $i -lt ${plan.smallWrites} ]; do dd if=/dev/zero of=.stowage-p.small bs=4096 count=1 seek=$(( (i * 7919) % 16384 )) conv=notrunc,fsync 2>/dev/null || exit 3; echo @small; i=$((i+1)); done`,
    'echo @seq-begin',
    `dd if=/dev/zero of=.stowage-p.seq bs=1048576 count=${plan.sequentialMiB} conv=fsync 2>/dev/null || exit 3`,
    'echo @seq-end',
    'rm -f .stowage-p.sync .stowage-p.small .stowage-p.seq',
    'echo @end',
  ].join('\n');
}

export interface MarkerProbeResult {
  /** Median cost of one dd call that does no I/O, taken off the figures below. */
  ddOverheadMs: number;
  syncWrite: { count: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** fsync'd 4 KiB writes per second, one dd process each (so a lower bound on the disk's sync IOPS). */
  smallWritesPerSec: number;
  sequentialBytesPerSec: number;
}

/** Reads the stamped markers; undefined when the script did not reach its end. */
export function parseMarkerProbe(lines: readonly TimedLine[], plan: MarkerProbePlan): MarkerProbeResult | undefined {
  const at = (text: string) => lines.find((l) => l.text === text)?.atMs;
  const begin = at('@begin');
  const smallBegin = at('@small-begin');
  const seqBegin = at('@seq-begin');
  const seqEnd = at('@seq-end');
  if (begin === undefined || smallBegin === undefined || seqBegin === undefined || seqEnd === undefined || at('@end') === undefined) return undefined;
  const syncTimes = lines.filter((l) => l.text === '@sync').map((l) => l.atMs);
  const smallTimes = lines.filter((l) => l.text === '@small').map((l) => l.atMs);
  const nullTimes = lines.filter((l) => l.text === '@null').map((l) => l.atMs);
  const nullBegin = at('@null-begin');
  if (syncTimes.length !== plan.syncWrites || smallTimes.length !== plan.smallWrites) return undefined;
  const gaps = (times: number[], from: number) => times.map((t, i) => t - (i === 0 ? from : times[i - 1]!));
  const ddOverheadMs = nullBegin !== undefined && nullTimes.length ? percentile(gaps(nullTimes, nullBegin), 50) : 0;
  const latencies = gaps(syncTimes, begin).map((g) => Math.max(0, g - ddOverheadMs));
  const smallSpan = (smallTimes[smallTimes.length - 1] ?? smallBegin) - smallBegin - smallTimes.length * ddOverheadMs;
  const seqSpan = seqEnd - seqBegin - ddOverheadMs;
  return {
    ddOverheadMs,
    syncWrite: { count: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) },
    smallWritesPerSec: smallSpan > 0 ? (smallTimes.length / smallSpan) * 1000 : 0,
    sequentialBytesPerSec: seqSpan > 0 ? (plan.sequentialMiB * 1024 * 1024) / (seqSpan / 1000) : 0,
  };
}
