/**
 * The probe bench disk runs on both sides of `--in-container`: a POSIX sh script of `dd` calls (busybox and
 * GNU dd alike) that prints a marker after each step. The caller stamps each marker as it arrives, so the
 * host and the container are measured the same way: one process per write, fsync after each. The cost of
 * starting dd differs between binaries (static busybox against dynamic coreutils), so the probe first times
 * dd calls that do no I/O and takes the fastest of them off every write.
 *
 * Each marker carries its own time, read by the shell from /proc/self/sched (`se.exec_start`: when the shell
 * was last put on a CPU, that is just after the dd it waited for exited; ms since boot, µs resolution). The
 * time a marker arrives is no clock for a container: the attach stream delivers its output in batches, so
 * twenty markers arrived at once and the dd start-up read 0 µs, and a 64 MiB write whose two markers shared
 * a batch read 1 GB/s (issue 20). Where the kernel has no /proc/self/sched the arrival time is used, and the
 * result says so. The scheduler clock leaves out time stolen by a hypervisor, on both sides alike.
 *
 * That clock is each CPU's own, and the CPUs' clocks run apart by the steal and IRQ time each has left out (on
 * a 2-CPU VM here, a shell moving between CPUs read gaps down to -144 ms): the probe pins itself to one CPU
 * with `taskset` first, and where it cannot (no taskset) and its stamps run backwards, the arrival times are
 * used instead.
 */
import { percentile } from '../stats.js';
import { formatBytes } from '../units.js';
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
    // m MARKER: prints the marker and the shell's scheduler clock (builtins only: no process to time)
    'm() { v=; { while read -r k _ v; do [ "$k" = se.exec_start ] && break; done < /proc/self/sched; } 2>/dev/null; echo "$1 $v"; }',
    // one CPU's clock for every marker: the first CPU this shell may run on (its dd children inherit it)
    '{ while read -r k v; do [ "$k" = Cpus_allowed_list: ] && break; done < /proc/self/status; taskset -p -c "${v%%[-,]*}" $$; } >/dev/null 2>&1',
    'rm -f .stowage-p.sync .stowage-p.small .stowage-p.seq',
    'm @null-begin',
    `i=0; while [ $i -lt ${CALIBRATION_CALLS} ]; do dd if=/dev/zero of=/dev/null bs=4096 count=1 2>/dev/null; m @null; i=$((i+1)); done`,
    'm @begin',
    `i=0; while [ $i -lt ${plan.syncWrites} ]; do dd if=/dev/zero of=.stowage-p.sync bs=1048576 count=1 seek=$i conv=notrunc,fsync 2>/dev/null || exit 3; m @sync; i=$((i+1)); done`,
    'm @small-begin',
    `i=0; while [ $i -lt ${plan.smallWrites} ]; do dd if=/dev/zero of=.stowage-p.small bs=4096 count=1 seek=$(( (i * 7919) % 16384 )) conv=notrunc,fsync 2>/dev/null || exit 3; m @small; i=$((i+1)); done`,
    'm @seq-begin',
    `dd if=/dev/zero of=.stowage-p.seq bs=1048576 count=${plan.sequentialMiB} conv=fsync 2>/dev/null || exit 3`,
    'm @seq-end',
    'rm -f .stowage-p.sync .stowage-p.small .stowage-p.seq',
    'm @end',
  ].join('\n');
}

/** A marker line: `@name` and, where the shell could read its clock, `ms.micros` since boot. */
const MARKER = /^(@[a-z-]+)(?:\s+(\d+(?:\.\d+)?))?$/;

/** The markers with the clock they carry; arrival times only when not every marker carries one. */
export function markerTimes(lines: readonly TimedLine[]): { lines: TimedLine[]; clock: 'in-probe' | 'arrival' } {
  const markers = lines.flatMap((l) => {
    const m = MARKER.exec(l.text);
    return m ? [{ text: m[1]!, atMs: l.atMs, stamp: m[2] === undefined ? undefined : Number(m[2]) }] : [];
  });
  // mixing the two clocks would be meaningless: use the probe's only when every marker has it, in order
  // (stamps that run backwards came from two CPUs' clocks: the probe could not pin itself)
  if (markers.length && markers.every((m, i) => m.stamp !== undefined && (i === 0 || m.stamp >= markers[i - 1]!.stamp!))) {
    return { lines: markers.map((m) => ({ text: m.text, atMs: m.stamp! })), clock: 'in-probe' };
  }
  return { lines: markers.map((m) => ({ text: m.text, atMs: m.atMs })), clock: 'arrival' };
}

export interface MarkerProbeResult {
  /** Where the times come from: the shell's scheduler clock inside the probe, or when each marker arrived. */
  clock: 'in-probe' | 'arrival';
  /** The least one dd call that does no I/O cost (fastest of the calibration calls), taken off the figures below. */
  ddOverheadMs: number;
  syncWrite: { count: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** fsync'd 4 KiB writes per second, one dd process each (so a lower bound on the disk's sync IOPS). */
  smallWritesPerSec: number;
  sequentialBytesPerSec: number;
}

/** Reads the stamped markers; undefined when the script did not reach its end. */
export function parseMarkerProbe(raw: readonly TimedLine[], plan: MarkerProbePlan): MarkerProbeResult | undefined {
  const { lines, clock } = markerTimes(raw);
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
  // the fastest start-up seen, not the median: every dd call costs at least that, so taking it off never
  // leaves a write with less than nothing when the machine's load varies between the calibration and the writes
  const ddOverheadMs = nullBegin !== undefined && nullTimes.length ? Math.min(...gaps(nullTimes, nullBegin)) : 0;
  const latencies = gaps(syncTimes, begin).map((g) => Math.max(0, g - ddOverheadMs));
  const smallRaw = (smallTimes[smallTimes.length - 1] ?? smallBegin) - smallBegin;
  const seqRaw = seqEnd - seqBegin;
  // should clock noise still leave nothing, keep the whole span rather than divide by zero
  const smallSpan = smallRaw - smallTimes.length * ddOverheadMs > 0 ? smallRaw - smallTimes.length * ddOverheadMs : smallRaw;
  const seqSpan = seqRaw - ddOverheadMs > 0 ? seqRaw - ddOverheadMs : seqRaw;
  return {
    clock,
    ddOverheadMs,
    syncWrite: { count: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) },
    smallWritesPerSec: smallSpan > 0 ? (smallTimes.length / smallSpan) * 1000 : 0,
    sequentialBytesPerSec: seqSpan > 0 ? (plan.sequentialMiB * 1024 * 1024) / (seqSpan / 1000) : 0,
  };
}

/**
 * Where a running probe is, from the markers seen so far (for live progress: a throttled disk can keep one
 * side busy for many seconds): `timing dd start-up 12/20`, `1.05 MB fsync'd writes 4/10`, and so on.
 */
export class MarkerStage {
  private nulls = 0;
  private syncs = 0;
  private smalls = 0;
  private at: 'start' | 'null' | 'sync' | 'small' | 'seq' | 'cleanup' = 'start';

  constructor(private readonly plan: MarkerProbePlan) {}

  /** Takes one output line; true when the stage text changed. */
  push(text: string): boolean {
    const marker = /^@[a-z-]+/.exec(text)?.[0];
    switch (marker) {
      case '@null-begin': this.at = 'null'; break;
      case '@null': this.nulls++; break;
      case '@begin': this.at = 'sync'; break;
      case '@sync': this.syncs++; break;
      case '@small-begin': this.at = 'small'; break;
      case '@small': this.smalls++; break;
      case '@seq-begin': this.at = 'seq'; break;
      case '@seq-end': this.at = 'cleanup'; break;
      default: return false;
    }
    return true;
  }

  get text(): string {
    const MiB = 1024 * 1024;
    switch (this.at) {
      case 'start': return 'starting';
      case 'null': return `timing dd start-up ${this.nulls}/${CALIBRATION_CALLS}`;
      case 'sync': return `${formatBytes(MiB)} fsync'd writes ${this.syncs}/${this.plan.syncWrites}`;
      case 'small': return `${formatBytes(4096)} fsync'd writes ${this.smalls}/${this.plan.smallWrites}`;
      case 'seq': return `${formatBytes(this.plan.sequentialMiB * MiB)} sequential write and fsync`;
      case 'cleanup': return 'removing its files';
    }
  }
}
