/**
 * Stall episodes: a disk out of burst credits stalls every start for minutes, and 35 findings for one
 * throttled stretch bury the story. Consecutive stalled runs form one episode, attributed once over the
 * whole stretch of host samples; the per-run detail stays in the timeline. Pure, like the detector.
 */
import { median } from '../stats.js';
import type { DeviceSample } from './sampler.js';
import { attributeStall, samplesDuring, summariseSamples, type StallCause, type HostStateDuring } from './stall-detector.js';

/** One timed run (a container start, a build step…) with the detector's verdict. */
export interface JudgedRun {
  /** 1-based, in order of completion. */
  index: number;
  /** ms since the measurement started. */
  startedMs: number;
  durationMs: number;
  stalled: boolean;
  /** The rolling median it was judged against. */
  medianMs: number | undefined;
  /** A failed run neither extends nor ends an episode: it says nothing about speed. */
  failed?: boolean;
}

export interface StallEpisode {
  /** Index of the first and last stalled run in the episode. */
  first: number;
  last: number;
  /** The stalled runs, in order. */
  runs: number[];
  /** From the start of the first stalled run to the end of the last one, ms since the start. */
  fromMs: number;
  toMs: number;
  /** Median and longest duration of the stalled runs. */
  medianDurationMs: number;
  maxDurationMs: number;
  /** The rolling median of healthy runs they were judged against (the median of their medians). */
  baselineMs: number;
  cause: StallCause;
  /** The host facts behind the cause ("loop0 capped at about 50 IOPS while await stayed low (0.4 ms)"). */
  clauses: string[];
  /** More on the cause ("above the device (…)"). */
  note: string;
  during: HostStateDuring | undefined;
  baseline: HostStateDuring | undefined;
}

/** Groups consecutive stalled runs: a healthy run ends an episode, a failed one is passed over. */
export function groupStalls(runs: readonly JudgedRun[]): JudgedRun[][] {
  const groups: JudgedRun[][] = [];
  let open: JudgedRun[] | undefined;
  for (const r of [...runs].sort((a, b) => a.index - b.index)) {
    if (r.failed) continue;
    if (r.stalled) {
      if (!open) groups.push((open = []));
      open.push(r);
    } else open = undefined;
  }
  return groups;
}

/** One episode per stretch of consecutive stalls, each attributed over the samples that cover it. */
export function stallEpisodes(runs: readonly JudgedRun[], samples: readonly DeviceSample[], baseline: HostStateDuring | undefined): StallEpisode[] {
  return groupStalls(runs).map((group) => {
    const fromMs = Math.min(...group.map((r) => r.startedMs));
    const toMs = Math.max(...group.map((r) => r.startedMs + r.durationMs));
    const durations = group.map((r) => r.durationMs);
    const medians = group.map((r) => r.medianMs ?? r.durationMs);
    const a = attributeStall(summariseSamples(samplesDuring(samples, fromMs, toMs)), baseline);
    return {
      first: group[0]!.index,
      last: group[group.length - 1]!.index,
      runs: group.map((r) => r.index),
      fromMs,
      toMs,
      medianDurationMs: median(durations),
      maxDurationMs: Math.max(...durations),
      baselineMs: median(medians),
      cause: a.cause,
      clauses: a.clauses,
      note: a.note,
      during: a.during,
      baseline: a.baseline,
    };
  });
}
