/**
 * Stall detection: an iteration slower than k times the rolling median of the iterations before it is a
 * stall. Stalls stay out of the median, so a disk that stays throttled keeps producing stalls instead of
 * becoming the new normal. Pure: durations come from the caller's (injected) clock.
 */
import { mean, median } from '../stats.js';
import type { DeviceSample } from './sampler.js';

export interface StallOptions {
  /** k: a stall is slower than k x the rolling median. */
  factor: number;
  /** How many recent non-stalled iterations the median is taken over. */
  window: number;
  /** Iterations needed before anything can be called a stall. */
  warmup: number;
  /** A stall must also exceed the median by this many ms, so 40 ms -> 130 ms jitter is not a stall. */
  minExcessMs: number;
}

export const DEFAULT_STALL_OPTIONS: StallOptions = { factor: 3, window: 50, warmup: 5, minExcessMs: 250 };

export interface StallVerdict {
  stalled: boolean;
  /** The rolling median the iteration was judged against; undefined during warm-up. */
  medianMs: number | undefined;
}

export class StallDetector {
  private readonly recent: number[] = [];
  private seen = 0;
  readonly options: StallOptions;

  constructor(options: Partial<StallOptions> = {}) {
    this.options = { ...DEFAULT_STALL_OPTIONS, ...options };
    if (!(this.options.factor > 1)) throw new RangeError('stall factor must be greater than 1');
    if (!(this.options.window >= 1)) throw new RangeError('stall window must be at least 1');
  }

  /** Judges one iteration's duration and, unless it stalled, adds it to the rolling window. */
  observe(durationMs: number): StallVerdict {
    this.seen++;
    const medianMs = this.recent.length >= Math.max(1, this.options.warmup) ? median(this.recent) : undefined;
    const stalled = medianMs !== undefined
      && durationMs > this.options.factor * medianMs
      && durationMs - medianMs >= this.options.minExcessMs;
    if (!stalled) {
      this.recent.push(durationMs);
      if (this.recent.length > this.options.window) this.recent.shift();
    }
    return { stalled, medianMs };
  }
}

/** What the host did while one slow iteration ran; built from the sampler's intervals. */
export interface HostStateDuring {
  samples: number;
  device: string | undefined;
  iops: number;
  writeIops: number;
  writeAwaitMs: number;
  readAwaitMs: number;
  utilPercent: number;
  iowaitPercent: number;
  /** Max share of an interval some task stalled on I/O (PSI); undefined without PSI. */
  ioPressurePercent: number | undefined;
  /** Mean CPU busy share (not idle, not iowait). */
  cpuBusyPercent: number;
  blockedTasks: number;
  blocked: string[];
  /** Coefficient of variation of IOPS over the window: low means IOPS held flat, as at a ceiling. */
  iopsVariation: number;
}

export type StallCause = 'disk-throttled' | 'disk-saturated' | 'io-wait' | 'disk-suspected' | 'not-disk' | 'unknown';

export interface StallAttribution {
  cause: StallCause;
  sentence: string;
  during: HostStateDuring | undefined;
  baseline: HostStateDuring | undefined;
}

/** The samples whose interval overlaps [fromMs, toMs]; at least the first one ending after `fromMs`. */
export function samplesDuring(samples: readonly DeviceSample[], fromMs: number, toMs: number): DeviceSample[] {
  const hit = samples.filter((s) => s.tMs > fromMs && s.tMs - s.intervalMs < toMs);
  if (hit.length) return hit;
  const next = samples.find((s) => s.tMs >= toMs);
  return next ? [next] : [];
}

export function summariseSamples(samples: readonly DeviceSample[]): HostStateDuring | undefined {
  if (samples.length === 0) return undefined;
  const iops = samples.map((s) => s.readIops + s.writeIops);
  const m = mean(iops);
  const sd = Math.sqrt(mean(iops.map((v) => (v - m) ** 2)));
  const blocked = new Set<string>();
  for (const s of samples) for (const b of s.blocked) blocked.add(b.replace(/\[\d+\]/, ''));
  return {
    samples: samples.length,
    device: samples[0]!.device,
    iops: m,
    writeIops: mean(samples.map((s) => s.writeIops)),
    writeAwaitMs: Math.max(...samples.map((s) => s.writeAwaitMs)),
    readAwaitMs: Math.max(...samples.map((s) => s.readAwaitMs)),
    utilPercent: Math.max(...samples.map((s) => s.utilPercent)),
    iowaitPercent: Math.max(...samples.map((s) => s.iowaitPercent)),
    ioPressurePercent: samples.some((s) => s.ioPressurePercent !== undefined)
      ? Math.max(...samples.map((s) => s.ioPressurePercent ?? 0)) : undefined,
    cpuBusyPercent: mean(samples.map((s) => s.cpuBusyPercent ?? 0)),
    blockedTasks: Math.max(...samples.map((s) => s.blockedTasks)),
    blocked: [...blocked].slice(0, 5),
    iopsVariation: m > 0 ? sd / m : 0,
  };
}

export const round = (v: number) => (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10);

/**
 * Names the likely cause of a stall from the host state during it, compared with the healthy baseline:
 * await far above baseline with IOPS held flat is a throttled disk (the gp2-out-of-credits shape); await up
 * with utilisation pinned is a saturated disk; tasks waiting on I/O with await unchanged and IOPS flat or
 * fallen is I/O throttled above the device (cgroup blkio, hypervisor); a quiet disk means the time went elsewhere.
 */
export function attributeStall(during: HostStateDuring | undefined, baseline: HostStateDuring | undefined): Omit<StallAttribution, 'sentence'> & { clauses: string[]; note: string } {
  if (!during) return { cause: 'unknown', during, baseline, clauses: ['no host samples covered it'], note: '' };
  const dev = during.device ?? 'the data-root device';
  const baseAwait = baseline ? Math.max(baseline.writeAwaitMs, baseline.readAwaitMs) : 0;
  const baseIops = baseline?.iops ?? 0;
  const awaitMs = Math.max(during.writeAwaitMs, during.readAwaitMs);
  const awaitHigh = during.device !== undefined && awaitMs >= Math.max(50, 4 * baseAwait);
  // one task in iowait is 50% on 2 cores but 1.5% on 64: any D-state task, or a modest share, counts
  // iowait and PSI are host-wide, so they count only when clearly above what the healthy run showed
  const ioWaiting = during.blockedTasks > 0
    || during.iowaitPercent >= Math.max(5, 2 * (baseline?.iowaitPercent ?? 0))
    || (during.ioPressurePercent ?? 0) >= Math.max(10, 2 * (baseline?.ioPressurePercent ?? 0));
  // the same work at a fraction of the I/O rate with the CPU no busier: the I/O was held back somewhere
  const cpuCalm = !baseline || during.cpuBusyPercent <= Math.max(baseline.cpuBusyPercent * 1.5, baseline.cpuBusyPercent + 10);
  const iopsCollapsed = baseIops > 0 && during.iops < 0.3 * baseIops;
  const flat = during.iops > 0 && during.iopsVariation < 0.35;
  const iopsFell = baseIops > 0 && during.iops < 0.6 * baseIops;
  let cause: StallCause;
  let note = '';
  let aboveDevice = false;
  if (awaitHigh && (flat || iopsFell)) cause = 'disk-throttled';
  else if (awaitHigh) cause = 'disk-saturated';
  else if (ioWaiting && (flat || iopsFell)) {
    cause = 'disk-throttled';
    aboveDevice = true;
    // the queue is not at the device, so the limit sits above it: cgroup blkio, a hypervisor or volume cap
    note = ' above the device (await stayed low while I/O waited: a cgroup blkio limit or a volume cap)';
  } else if (ioWaiting) cause = 'io-wait';
  else if (iopsCollapsed && cpuCalm) cause = 'disk-suspected';
  else cause = 'not-disk';
  const baseIopsText = baseline ? ` (baseline ${round(baseIops)})` : '';
  const clauses: string[] = [];
  if (during.device !== undefined) {
    if (aboveDevice) {
      // the shape of a limit: the device does a steady, low rate and answers each request quickly
      clauses.push(`${flat ? `${dev} capped at about ${round(during.iops)} IOPS` : `IOPS on ${dev} fell to ${round(during.iops)}`}${baseIopsText}`
        + ` with await low (${round(awaitMs)} ms)`);
    } else {
      clauses.push(awaitHigh
        ? `${during.writeAwaitMs >= during.readAwaitMs ? 'write' : 'read'} await on ${dev} rose to ${round(awaitMs)} ms${baseline ? ` (baseline ${round(baseAwait)} ms)` : ''}`
        : `await on ${dev} stayed at ${round(awaitMs)} ms`);
      clauses.push(`IOPS ${iopsFell ? 'fell to' : flat ? 'sat at' : 'averaged'} ${round(during.iops)}${baseIopsText}`);
    }
  }
  if (during.blockedTasks > 0) {
    clauses.push(`${during.blockedTasks} task${during.blockedTasks === 1 ? '' : 's'} in D state${during.blocked.length ? ` (${during.blocked.join(', ')})` : ''}`);
  }
  if (during.iowaitPercent >= 5) clauses.push(`iowait ${round(during.iowaitPercent)}%`);
  if ((during.ioPressurePercent ?? 0) >= 10) clauses.push(`some task waited on I/O ${round(during.ioPressurePercent!)}% of the time (PSI)`);
  if (cause === 'disk-suspected') clauses.push(`the CPU no busier (${round(during.cpuBusyPercent)}% busy)`);
  return { cause, during, baseline, clauses, note };
}

export const CAUSE_TEXT: Record<StallCause, string> = {
  'disk-throttled': 'the disk was throttled',
  'disk-saturated': 'the disk was saturated',
  'io-wait': 'tasks were waiting on I/O',
  'disk-suspected': 'the I/O was most likely held back (throttled), though no task was caught waiting',
  'not-disk': 'the disk was quiet, so the time went elsewhere (engine, CPU, the command itself)',
  unknown: 'no host samples to attribute it',
};

/** Causes that point at the data-root disk (and so carry the disk fix). */
export function isDiskCause(cause: StallCause): boolean {
  return cause === 'disk-throttled' || cause === 'disk-saturated' || cause === 'io-wait' || cause === 'disk-suspected';
}
