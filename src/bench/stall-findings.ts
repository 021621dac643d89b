/**
 * bench start's stall findings: one `bench/start-stall` per episode of consecutive stalled starts (issue 11),
 * and a record per stalled start for the timeline (`--out`, `--json`'s `stalls`).
 */
import type { Evidence } from '../findings.js';
import { BENCH_FINDINGS, type BenchFinding } from './finding-ids.js';
import { formatDuration } from '../units.js';
import { median } from '../stats.js';
import type { DeviceSample } from '../measure/sampler.js';
import {
  attributeStall, CAUSE_TEXT, isDiskCause, round, samplesDuring, summariseSamples,
  type HostStateDuring, type StallAttribution,
} from '../measure/stall-detector.js';
import type { StallEpisode } from '../measure/stall-episodes.js';

export interface StallContext {
  iteration: number;
  durationMs: number;
  medianMs: number;
  phasesMs: Record<string, number>;
  startedAtMs: number;
}

/** A stalled start as data: which iteration, and what the host did meanwhile. */
export interface StallRecord extends StallAttribution {
  iteration: number;
  durationMs: number;
  medianMs: number;
}

/** The per-start record of one stall, attributed over the samples that cover that start alone. */
export function stallRecord(stall: StallContext, samples: readonly DeviceSample[], baseline: HostStateDuring | undefined): StallRecord {
  const during = summariseSamples(samplesDuring(samples, stall.startedAtMs, stall.startedAtMs + stall.durationMs));
  const a = attributeStall(during, baseline);
  const ratio = stall.durationMs / stall.medianMs;
  const sentence = `start #${stall.iteration} took ${formatDuration(stall.durationMs)} (${ratio.toFixed(1)}x the median ${formatDuration(stall.medianMs)})`
    + `${a.clauses.length ? ` while ${a.clauses.join(', ')}` : ''}: ${CAUSE_TEXT[a.cause]}${a.note}`;
  return { iteration: stall.iteration, durationMs: stall.durationMs, medianMs: stall.medianMs, cause: a.cause, sentence, during: a.during, baseline: a.baseline };
}

/** The episode's one-line story: "from #26 to #60, 35 starts took 3.5 s against a 265 ms median; …". */
export function episodeSentence(e: StallEpisode): string {
  const ratio = e.medianDurationMs / e.baselineMs;
  const head = e.runs.length === 1
    ? `start #${e.first} took ${formatDuration(e.medianDurationMs)} (${ratio.toFixed(1)}x the median ${formatDuration(e.baselineMs)})`
    : `from #${e.first} to #${e.last}, ${e.runs.length} starts took ${formatDuration(e.medianDurationMs)}`
      + `${e.maxDurationMs > e.medianDurationMs * 1.2 ? ` (up to ${formatDuration(e.maxDurationMs)})` : ''} against a ${formatDuration(e.baselineMs)} median`;
  const joiner = e.runs.length === 1 ? ' while ' : '; ';
  return `${head}${e.clauses.length ? `${joiner}${e.clauses.join(', ')}` : ''}: ${CAUSE_TEXT[e.cause]}${e.note}`;
}

/** The `bench/start-stall` finding of one episode; `phasesMs` holds each stalled start's phases. */
export function episodeFinding(e: StallEpisode, phasesMs: readonly Record<string, number>[]): BenchFinding {
  const ratio = e.medianDurationMs / e.baselineMs;
  const single = e.runs.length === 1;
  const phaseNames = [...new Set(phasesMs.flatMap((p) => Object.keys(p)))];
  const evidence: Evidence[] = [
    ...(single ? [{ label: 'iteration', value: e.first }] : [
      { label: 'first start', value: e.first },
      { label: 'last start', value: e.last },
      { label: 'stalled starts', value: e.runs.length },
      { label: 'episode length', value: Math.round(e.toMs - e.fromMs), unit: 'ms' },
    ]),
    { label: single ? 'duration' : 'duration (median)', value: Math.round(e.medianDurationMs), unit: 'ms' },
    ...(single ? [] : [{ label: 'duration (max)', value: Math.round(e.maxDurationMs), unit: 'ms' }]),
    { label: 'rolling median', value: Math.round(e.baselineMs), unit: 'ms' },
    { label: 'ratio to median', value: Math.round(ratio * 10) / 10, unit: 'x' },
    ...phaseNames.map((phase) => ({
      label: `${phase} phase${single ? '' : ' (median)'}`, value: Math.round(median(phasesMs.map((p) => p[phase] ?? 0))), unit: 'ms',
    })),
    { label: 'cause', value: e.cause },
  ];
  const during = e.during;
  if (during) {
    if (during.device) {
      evidence.push(
        { label: 'device', value: during.device },
        { label: 'write await (max)', value: round(during.writeAwaitMs), unit: 'ms' },
        { label: 'read await (max)', value: round(during.readAwaitMs), unit: 'ms' },
        { label: 'IOPS (mean)', value: round(during.iops), unit: 'IOPS' },
        { label: 'utilisation (max)', value: round(during.utilPercent), unit: '%' },
      );
    }
    if (during.ioPressurePercent !== undefined) evidence.push({ label: 'I/O pressure, some (max)', value: round(during.ioPressurePercent), unit: '%' });
    evidence.push({ label: 'CPU busy (mean)', value: round(during.cpuBusyPercent), unit: '%' });
    evidence.push({ label: 'iowait (max)', value: round(during.iowaitPercent), unit: '%' },
      { label: 'tasks in D state (max)', value: during.blockedTasks });
    if (during.blocked.length) evidence.push({ label: 'blocked tasks', value: during.blocked.join(', ') });
  }
  if (e.baseline?.device) {
    evidence.push({ label: 'baseline IOPS', value: round(e.baseline.iops), unit: 'IOPS' },
      { label: 'baseline await', value: round(Math.max(e.baseline.writeAwaitMs, e.baseline.readAwaitMs)), unit: 'ms' });
  }
  if (!single) evidence.push({ label: 'per-start detail', value: 'stalls in --json, iterations.csv in --out' });
  return {
    id: BENCH_FINDINGS.startStall.id,
    severity: ratio >= 10 || e.maxDurationMs >= 30_000 ? 'error' : 'warn',
    title: episodeSentence(e),
    evidence,
    ...(isDiskCause(e.cause) ? {
      fix: {
        summary: 'The data-root disk limits container starts: move the data-root to a faster or unthrottled disk '
          + '(instance store, gp3 or provisioned IOPS instead of gp2), or lower the I/O other work does on it; '
          + 'check its burst credits and throttling.',
        commands: ['stowage doctor', 'stowage bench disk'],
      },
    } : {}),
    subject: { kind: 'benchmark', id: single ? `start #${e.first}` : `start #${e.first}-#${e.last}` },
  };
}
