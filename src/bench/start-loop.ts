/**
 * `bench start`: create -> start -> wait -> remove through the Engine API in a loop (no CLI process per
 * iteration), with a host sampler beside it and stall detection on every iteration.
 */
import type { CapabilityContext } from '../context.js';
import type { Finding } from '../findings.js';
import { BENCH_FINDINGS, type BenchFinding } from './finding-ids.js';
import { BadInputError, EngineRequestError, UsageError } from '../errors.js';
import { isLocalEndpoint } from '../engine/endpoint.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { distribution, type Distribution } from '../stats.js';
import { resolveDataRootDevice, Sampler, type DataRootDevice, type DeviceSample } from '../measure/sampler.js';
import { StallDetector, summariseSamples, type HostStateDuring, type StallOptions } from '../measure/stall-detector.js';
import { stallEpisodes, type StallEpisode } from '../measure/stall-episodes.js';
import { episodeFinding, stallRecord, type StallRecord } from './stall-findings.js';
import { burstFinding } from './burst-finding.js';
import { burstEstimate, type BurstEstimate, type BurstModelChoice } from '../measure/burst-estimate.js';
import { count, formatDuration } from '../units.js';
import { writeTimeline } from './timeline.js';

export const PHASES = ['create', 'start', 'wait', 'remove'] as const;
export type Phase = (typeof PHASES)[number];

export interface StartBenchOptions {
  image: string;
  /** Command for the container; the image's default when omitted. */
  cmd?: string[];
  /** Stop after this many iterations (default 20 when no duration is given). */
  iterations?: number;
  /** Stop starting new iterations after this long. */
  durationMs?: number;
  concurrency?: number;
  stall?: Partial<StallOptions>;
  /** Host sampling interval; 0 turns the sampler off. */
  sampleIntervalMs?: number;
  /** Cgroup parent for the containers (`docker run --cgroup-parent`). */
  cgroupParent?: string;
  /** Names the containers PREFIX1, PREFIX2… in the order they are created; unnamed when omitted. */
  namePrefix?: string;
  /** Burst-credit model: auto (from the device), gp2, or none. */
  burstModel?: BurstModelChoice;
  /** Limit for each engine call, so a stall of minutes is measured rather than aborted. */
  callTimeoutMs?: number;
  hostFs?: HostFs;
  /** Keep every iteration and host sample in the result (`iterations`, `samples`), as timeline.json has them. */
  timeline?: boolean;
  /** Write iterations.csv, samples.csv and timeline.json (the result with every row) into this directory. */
  out?: string;
}

export interface IterationRecord {
  /** 1-based, in order of completion. */
  index: number;
  worker: number;
  /** ms since the benchmark started. */
  startedMs: number;
  totalMs: number;
  phasesMs: Record<Phase, number>;
  exitCode: number | undefined;
  error: string | undefined;
  stall: boolean;
  medianMs: number | undefined;
}

/**
 * The loop's figures after each iteration: `update({ step: 'starting containers', done, total, detail })`
 * on the context's progress carries them as `detail` (with `done` and `target` as `done` and `total`).
 */
export interface StartProgress {
  done: number;
  target: number | undefined;
  p50Ms: number;
  p99Ms: number;
  lastMs: number;
  stalls: number;
  failed: number;
}

export interface StartBenchSummary {
  iterations: number;
  failed: number;
  stalls: number;
  wallMs: number;
  containersPerMinute: number;
  total: Distribution;
  phases: Record<Phase, Distribution>;
}

/** bench start's result, which is its `--json` document (`result`). */
export interface StartBenchResult {
  schemaVersion: 1;
  image: string;
  cmd: string[] | undefined;
  concurrency: number;
  startedAt: string;
  stallOptions: StallOptions;
  sampleIntervalMs: number;
  device: DataRootDevice | undefined;
  /** Why there are no host samples, when there are none. */
  samplerNote: string | undefined;
  summary: StartBenchSummary;
  /** How many host samples were taken. */
  sampleCount: number;
  /** The data-root device over the whole run (every sample); undefined without samples. */
  host: HostStateDuring | undefined;
  /** Every iteration, with `timeline: true` and in timeline.json; left out otherwise. */
  iterations?: IterationRecord[];
  /** Every host sample, with `timeline: true` and in timeline.json; left out otherwise. */
  samples?: DeviceSample[];
  burst: BurstEstimate | undefined;
  findings: Finding[];
  /** Every stalled start with its cause and the host state during it and at baseline (the per-start detail). */
  stalls: StallRecord[];
  /** Consecutive stalled starts grouped, each attributed over its whole stretch; one finding each. */
  episodes: StallEpisode[];
  /** Stopped early by the signal (Ctrl-C): the figures cover the starts that completed. */
  interrupted: boolean;
  /** CPU this process spent, in total and in the sampler. */
  cpu: { totalMs: number; samplerMs: number };
}

/**
 * Runs the create/start/wait/remove loop through the API with the host sampler beside it, and attributes
 * stalls. The context's signal stops it starting containers: the ones in flight finish and are removed, and
 * the result covers what completed (`interrupted`), as a benchmark stopped early still has figures.
 */
export async function runStartBench(options: StartBenchOptions, context: CapabilityContext): Promise<StartBenchResult> {
  const { clock, progress, signal } = context;
  const fs = options.hostFs ?? liveHostFs;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('`concurrency` must be a whole number >= 1');
  const target = options.iterations ?? (options.durationMs === undefined ? 20 : undefined);
  if (target !== undefined && (!Number.isInteger(target) || target < 1)) throw new UsageError('`iterations` must be a whole number >= 1');
  const sampleIntervalMs = options.sampleIntervalMs ?? 1000;
  const callTimeoutMs = options.callTimeoutMs ?? 600_000;
  const detector = new StallDetector(options.stall);
  const engine = await context.engine();
  try {
    await engine.inspectImage(options.image);
  } catch (err) {
    if (!(err instanceof EngineRequestError && err.statusCode === 404)) throw err;
    throw new BadInputError(`image ${options.image} is not in the engine`, 'Pull or build it first; bench start never pulls, so the pull is not timed.', { cause: err });
  }

  const cpuStart = process.cpuUsage();
  const startedAt = new Date(clock.now()).toISOString();
  const origin = clock.monotonic();
  let device: DataRootDevice | undefined;
  let samplerNote: string | undefined;
  let sampler: Sampler | undefined;
  // the sampler reads this host: pointless when the engine's data-root is on another one
  if (sampleIntervalMs > 0 && isLocalEndpoint(engine.endpoint)) {
    const info = await engine.info();
    device = resolveDataRootDevice(fs, info.dockerRootDir);
    if (!device.device) samplerNote = `no block device found under ${info.dockerRootDir}${device.fsType ? ` (${device.fsType})` : ''}; sampling iowait and D-state tasks only`;
    sampler = new Sampler(fs, device.device, clock, sampleIntervalMs, origin);
    sampler.start();
  } else {
    samplerNote = sampleIntervalMs > 0 ? 'the engine is not on this host: no host samples' : 'sampler turned off';
  }

  const iterations: IterationRecord[] = [];
  const totals: number[] = [];
  let started = 0;
  let failed = 0;
  let stalls = 0;
  const deadline = options.durationMs === undefined ? undefined : origin + options.durationMs;
  const labels = { 'stowage.bench': 'start', 'stowage.pid': String(process.pid) };
  const spec = {
    image: options.image,
    ...(options.cmd ? { cmd: options.cmd } : {}),
    labels,
    networkMode: 'none',
    ...(options.cgroupParent ? { cgroupParent: options.cgroupParent } : {}),
  };
  const more = () => !signal.aborted && (target === undefined || started < target) && (deadline === undefined || clock.monotonic() < deadline);

  const worker = async (workerId: number) => {
    while (more()) {
      started++;
      const name = options.namePrefix ? `${options.namePrefix}${started}` : undefined;
      const phasesMs: Record<Phase, number> = { create: 0, start: 0, wait: 0, remove: 0 };
      const t0 = clock.monotonic();
      let id: string | undefined;
      let exitCode: number | undefined;
      let error: string | undefined;
      let phase: Phase = 'create';
      try {
        let t = clock.monotonic();
        id = await engine.createContainer(name ? { ...spec, name } : spec, callTimeoutMs);
        phasesMs.create = clock.monotonic() - t;
        phase = 'start';
        t = clock.monotonic();
        await engine.startContainer(id, callTimeoutMs);
        phasesMs.start = clock.monotonic() - t;
        phase = 'wait';
        t = clock.monotonic();
        const exit = await engine.waitContainer(id, callTimeoutMs);
        phasesMs.wait = clock.monotonic() - t;
        exitCode = exit.statusCode;
        phase = 'remove';
        t = clock.monotonic();
        await engine.removeContainer(id, { timeoutMs: callTimeoutMs });
        phasesMs.remove = clock.monotonic() - t;
        id = undefined;
      } catch (err) {
        error = `${phase}: ${(err as Error).message}`;
        failed++;
        if (id) await engine.removeContainer(id, { force: true, timeoutMs: callTimeoutMs }).catch(() => undefined);
      }
      const totalMs = clock.monotonic() - t0;
      const verdict = error ? { stalled: false, medianMs: undefined } : detector.observe(totalMs);
      if (verdict.stalled) stalls++;
      if (!error) totals.push(totalMs);
      const record: IterationRecord = {
        index: iterations.length + 1, worker: workerId, startedMs: t0 - origin, totalMs, phasesMs,
        exitCode, error, stall: verdict.stalled, medianMs: verdict.medianMs,
      };
      iterations.push(record);
      if (record.stall) progress.note(`stall: #${record.index} took ${formatDuration(record.totalMs)}`);
      const d = distribution(totals);
      const figures: Omit<StartProgress, 'done' | 'target'> = { p50Ms: d.p50, p99Ms: d.p99, lastMs: totalMs, stalls, failed };
      progress.update({ step: 'starting containers', done: iterations.length, total: target, unit: 'items', detail: { ...figures, stalled: record.stall } });
      if (failed >= 5 && failed === iterations.length) break; // nothing works: stop rather than spin
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i + 1)));
  } finally {
    await sampler?.stop();
    // a create that timed out on our side may still have happened in the engine: sweep by our labels
    const leftovers = await engine.listContainers({ all: true, labels }).catch(() => []);
    for (const c of leftovers) await engine.removeContainer(c.id, { force: true, timeoutMs: callTimeoutMs }).catch(() => undefined);
  }
  const wallMs = clock.monotonic() - origin;
  if (iterations.length > 0 && failed === iterations.length) {
    throw new BadInputError(`${iterations.length === 1 ? 'the only start' : `all ${iterations.length} starts`} failed; the first: ${iterations[0]!.error}`,
      'Check that the image runs with this command: docker run --rm IMAGE CMD');
  }

  const samples = sampler?.samples ?? [];
  const host = summariseSamples(samples);
  const ok = iterations.filter((r) => !r.error);
  const stallRecords = ok.filter((r) => r.stall);
  const firstStallMs = stallRecords.length ? Math.min(...stallRecords.map((r) => r.startedMs)) : Infinity;
  const healthy = samples.filter((s) => s.tMs <= firstStallMs);
  const baseline = summariseSamples(healthy.length ? healthy : samples);
  const stallRecordsOut = stallRecords.map((r) => stallRecord(
    { iteration: r.index, durationMs: r.totalMs, medianMs: r.medianMs ?? r.totalMs, phasesMs: r.phasesMs, startedAtMs: r.startedMs },
    samples, baseline,
  ));
  const episodes = stallEpisodes(
    iterations.map((r) => ({ index: r.index, startedMs: r.startedMs, durationMs: r.totalMs, stalled: r.stall, medianMs: r.medianMs, failed: r.error !== undefined })),
    samples, baseline,
  );
  const byIndex = new Map(iterations.map((r) => [r.index, r]));
  const findings: BenchFinding[] = episodes.map((e) => episodeFinding(e, e.runs.map((i) => byIndex.get(i)!.phasesMs)));
  const burst = device?.disk ? burstEstimate(device.disk, samples, options.burstModel ?? 'auto') : undefined;
  if (burst) findings.push(burstFinding(burst));
  if (failed > 0) {
    findings.push({
      id: BENCH_FINDINGS.startFailures.id,
      severity: 'warn',
      title: `${failed} of ${count(iterations.length, 'iteration')} failed`,
      evidence: [{ label: 'first error', value: iterations.find((r) => r.error)?.error ?? '' }],
      subject: { kind: 'benchmark', id: 'bench start' },
    });
  }
  const cpu = process.cpuUsage(cpuStart);
  const result: StartBenchResult = {
    schemaVersion: 1,
    image: options.image,
    cmd: options.cmd,
    concurrency,
    startedAt,
    stallOptions: detector.options,
    sampleIntervalMs,
    device,
    samplerNote,
    summary: {
      iterations: iterations.length,
      failed,
      stalls,
      wallMs,
      containersPerMinute: wallMs > 0 ? (ok.length / wallMs) * 60_000 : 0,
      total: distribution(ok.map((r) => r.totalMs)),
      phases: Object.fromEntries(PHASES.map((p) => [p, distribution(ok.map((r) => r.phasesMs[p]))])) as Record<Phase, Distribution>,
    },
    sampleCount: samples.length,
    host,
    burst,
    findings,
    stalls: stallRecordsOut,
    episodes,
    interrupted: signal.aborted,
    cpu: { totalMs: (cpu.user + cpu.system) / 1000, samplerMs: sampler?.cpuMs ?? 0 },
  };
  if (options.out) {
    const files = await writeTimeline(options.out, { ...result, iterations, samples });
    progress.note(`timeline written: ${files.join(', ')}`);
  }
  return options.timeline ? { ...result, iterations, samples } : result;
}
