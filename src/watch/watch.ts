/**
 * `stowage watch`: samples the data-root device at 1 Hz, keeps the burst-credit model running on the measured
 * IOPS, optionally times a canary container start, and raises and clears findings as they change. Each
 * reading, finding change and canary run is handed to `onEvent` as it happens; history is bounded, so memory
 * stays flat over days. Resolves after `readings` readings, or rejects with the signal's reason when aborted.
 */
import type { CapabilityContext } from '../context.js';
import { BadInputError, EngineRequestError, UsageError } from '../errors.js';
import { isLocalEndpoint } from '../engine/endpoint.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { sampleHost, type HostSample, type TaskScan } from '../host/host-sample.js';
import { spaceOf } from '../host/filesystem.js';
import { diskAttributes } from '../host/block-device.js';
import { sampleRates } from '../measure/io-rates.js';
import { resolveDataRootDevice, toDeviceSample, type DataRootDevice, type DeviceSample } from '../measure/sampler.js';
import { StallDetector } from '../measure/stall-detector.js';
import { identifyCloudVolume } from '../host/cloud-volume.js';
import { readAzureStorageProfile } from '../host/azure-imds.js';
import { identifyAzureDisk } from '../host/azure-disk-sku.js';
import type { BurstModel } from '../measure/burst-model.js';
import { chooseBurstModel, type BurstChoice } from './burst-params.js';
import { CreditTracker, throttledAtBaseline, type CreditState } from './credit-tracker.js';
import type { WatchFinding } from './finding-ids.js';
import { RingBuffer } from './ring-buffer.js';
import { judgeFindings, type CanaryOutcome, type SpaceReading } from './watch-findings.js';

export interface CanaryOptions {
  image: string;
  cmd?: string[];
  everyMs: number;
  /** A start slower than factor x the rolling median is slow. */
  factor?: number;
}

export interface WatchOptions {
  /** The engine's data-root; default: what the engine says (`docker info`). */
  dataRoot?: string;
  /** The block device to sample (`vdb`, `loop3`) instead of the one under the data-root. */
  device?: string;
  intervalMs?: number;
  /** Stop after this many readings (`--once` is 1); default: until the signal is aborted. */
  readings?: number;
  burst?: BurstChoice;
  /** The exhaustion-predicted finding fires when the credits run out within this; default 30 min. */
  horizonMs?: number;
  /** The IOPS the prediction runs at are the mean over this window; default 60 s. */
  rateWindowMs?: number;
  /** The exhausted finding needs the ceiling at the baseline over this window; default 30 s. */
  throttleWindowMs?: number;
  /** D-state tasks for this long before it is a finding; default 5 s. */
  blockedForMs?: number;
  fullWarnRatio?: number;
  fullErrorRatio?: number;
  canary?: CanaryOptions;
  hostFs?: HostFs;
  /** Where the Azure Instance Metadata Service answers (default 169.254.169.254); asked only for an Azure managed disk under `auto`. */
  azureImdsUrl?: string;
  onEvent?: (event: WatchEvent) => void;
}

/** What is watched: resolved once at start. */
export interface WatchTarget {
  dataRoot: string;
  mountPoint: string | null;
  fsType: string | null;
  device: string | null;
  chain: string | null;
  /** The device whose IOPS feed the burst model (the whole disk when the model came from its identity). */
  burstDevice: string | null;
  burst: {
    model: string; baselineIops: number; burstIops: number; bucketCredits: number; sizeGiB: number; basis: string;
    /** The provider's size tier (Azure's P10, E4) and its throughput limits, where published. */
    tier?: string; baselineMBps?: number; burstMBps?: number;
    /** How sure the model's choice is, when it rests on a lookup that can be unsure (Azure's SKU). */
    basisConfidence?: 'known' | 'inferred' | 'assumed';
  } | null;
  /** Why no burst model runs, when none does. */
  burstNote: string | null;
  intervalMs: number;
  horizonSeconds: number;
}

export interface WatchReading {
  /** Wall-clock time of the reading, ISO 8601. */
  at: string;
  sample: Omit<DeviceSample, 'tMs' | 'device' | 'ioPressurePercent'> & { device: string | null; ioPressurePercent: number | null };
  /** IOPS of the burst device, when it is not the sampled one. */
  burstDeviceIops: number | null;
  space: SpaceReading | null;
  credits: CreditState | null;
  /** Ids of the findings active after this reading. */
  active: string[];
}

export type WatchEvent =
  | { type: 'start'; target: WatchTarget }
  | { type: 'reading'; reading: WatchReading }
  | { type: 'finding'; state: 'raised' | 'cleared'; finding: WatchFinding }
  | { type: 'canary'; image: string; durationMs: number; medianMs: number | null; slow: boolean; error: string | null };

export interface WatchResult {
  target: WatchTarget;
  readings: number;
  last: WatchReading | undefined;
  findings: WatchFinding[];
}

const CANARY_LABELS = { 'stowage.watch': 'canary' };

export async function runWatch(options: WatchOptions, context: CapabilityContext): Promise<WatchResult> {
  const fs = options.hostFs ?? liveHostFs;
  const { clock, signal } = context;
  const intervalMs = options.intervalMs ?? 1000;
  if (!(intervalMs >= 1)) throw new UsageError('`intervalMs` must be at least 1 ms');
  if (options.readings !== undefined && !(Number.isInteger(options.readings) && options.readings >= 1)) throw new UsageError('`readings` must be a whole number >= 1');
  const horizonSeconds = (options.horizonMs ?? 30 * 60_000) / 1000;
  const perWindow = (ms: number) => Math.max(1, Math.ceil(ms / intervalMs));
  const rateSamples = perWindow(options.rateWindowMs ?? 60_000);
  const throttleSamples = perWindow(options.throttleWindowMs ?? 30_000);
  // one reading cannot tell a passing D state from a stuck task: the finding needs several in a row
  const blockedReadings = Math.max(2, perWindow(options.blockedForMs ?? 5000));

  let dataRoot = options.dataRoot;
  if (dataRoot === undefined || options.canary) {
    if (!isLocalEndpoint(context.endpoint())) {
      throw new BadInputError(`the engine at ${context.endpoint().url} is not on this host, and watch measures the host it runs on`,
        'Run stowage watch on the engine\'s host (one exporter per host), or give --data-root for a local path.');
    }
    const engine = await context.engine();
    dataRoot ??= (await engine.info()).dockerRootDir;
    if (options.canary) {
      try {
        await engine.inspectImage(options.canary.image);
      } catch (err) {
        if (!(err instanceof EngineRequestError && err.statusCode === 404)) throw err;
        throw new BadInputError(`canary image ${options.canary.image} is not in the engine`, 'Build or pull it first; watch never pulls.', { cause: err });
      }
    }
  }
  const space = async (): Promise<SpaceReading | undefined> => {
    try {
      const s = await spaceOf(dataRoot!);
      return { path: dataRoot!, totalBytes: s.totalBytes, availableBytes: s.availableBytes, usedRatio: s.totalBytes > 0 ? (s.totalBytes - s.availableBytes) / s.totalBytes : 0 };
    } catch {
      return undefined;
    }
  };
  if (!(await space())) throw new BadInputError(`cannot read the filesystem of ${dataRoot}`, 'Give the engine\'s data-root (docker info -f {{.DockerRootDir}}) with --data-root.');

  let dev: DataRootDevice = resolveDataRootDevice(fs, dataRoot);
  if (options.device !== undefined) {
    if (!sampleHost(fs, 0).disks.has(options.device)) {
      throw new BadInputError(`no block device ${options.device} in /proc/diskstats`, 'Give a device name as lsblk shows it (vdb, nvme1n1, loop3).');
    }
    dev = { ...dev, device: options.device, chain: options.device, disk: diskAttributes(fs, options.device) };
  }
  const choice = options.burst ?? { model: 'auto' };
  const azure = choice.model === 'auto' && dev.disk && identifyCloudVolume(dev.disk)?.kind === 'managed-disk'
    ? identifyAzureDisk(fs, dev.disk.name, dev.disk.sizeBytes, await readAzureStorageProfile(options.azureImdsUrl ? { baseUrl: options.azureImdsUrl } : {}))
    : undefined;
  const chosen = chooseBurstModel(choice, dev.disk, azure);
  const tracker = 'model' in chosen ? new CreditTracker(chosen.model, chosen.basis) : undefined;
  // a model from the disk's identity counts the whole disk's I/O; one the user names, the data-root's device
  const burstDevice = tracker ? ((options.burst?.model ?? 'auto') === 'auto' ? dev.disk?.name : dev.device) ?? dev.device : undefined;
  const target: WatchTarget = {
    dataRoot,
    mountPoint: dev.mountPoint ?? null,
    fsType: dev.fsType ?? null,
    device: dev.device ?? null,
    chain: dev.chain ?? null,
    burstDevice: burstDevice ?? null,
    burst: tracker ? { ...pick(tracker.model), basis: tracker.basis, ...('basisConfidence' in chosen && chosen.basisConfidence ? { basisConfidence: chosen.basisConfidence } : {}) } : null,
    burstNote: 'none' in chosen ? chosen.none : null,
    intervalMs,
    horizonSeconds,
  };
  const emit = (e: WatchEvent) => options.onEvent?.(e);
  emit({ type: 'start', target });

  const history = new RingBuffer<{ iops: number; sample: DeviceSample }>(Math.max(rateSamples, throttleSamples, blockedReadings));
  const active = new Map<string, WatchFinding>();
  let canary: CanaryOutcome | undefined;
  let lastSpace: SpaceReading | undefined;
  let last: WatchReading | undefined;
  let readings = 0;

  const judge = (credits: CreditState | undefined) => {
    const now = judgeFindings({
      device: burstDevice ?? dev.device,
      credits,
      horizonSeconds,
      blockedRun: history.last(blockedReadings).map((h) => ({ count: h.sample.blockedTasks, blocked: h.sample.blocked })),
      blockedReadings,
      space: lastSpace,
      fullWarnRatio: options.fullWarnRatio ?? 0.9,
      fullErrorRatio: options.fullErrorRatio ?? 0.95,
      canary,
      canaryFactor: options.canary?.factor ?? 3,
    });
    const ids = new Set(now.map((f) => f.id));
    for (const [id, f] of [...active]) {
      if (!ids.has(f.id)) {
        active.delete(id);
        emit({ type: 'finding', state: 'cleared', finding: f });
      }
    }
    for (const f of now) {
      const before = active.get(f.id);
      active.set(f.id, f);
      // raised again when it first appears or its severity changes; a changed figure alone is not news
      if (!before || before.severity !== f.severity) emit({ type: 'finding', state: 'raised', finding: f });
    }
  };

  const stopCanary = new AbortController();
  const onAbort = () => stopCanary.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const canaryLoop = options.canary ? runCanary(options.canary, context, stopCanary.signal, (outcome) => {
    canary = outcome;
    emit({ type: 'canary', image: outcome.image, durationMs: outcome.durationMs, medianMs: outcome.medianMs ?? null, slow: outcome.slow, error: outcome.error ?? null });
  }) : undefined;

  try {
    let prev: HostSample = sampleHost(fs, clock.monotonic());
    const origin = prev.atMs;
    while (options.readings === undefined || readings < options.readings) {
      await clock.sleep(intervalMs, signal);
      const cur = sampleHost(fs, clock.monotonic(), taskScan(readings, prev));
      if (cur.atMs - prev.atMs < 1) continue;
      const sample = toDeviceSample(prev, cur, dev.device, origin);
      const burstRates = burstDevice && burstDevice !== dev.device ? sampleRates(prev, cur, [burstDevice])[0] : undefined;
      const iops = burstRates ? burstRates.readIops + burstRates.writeIops : sample.readIops + sample.writeIops;
      prev = cur;
      history.push({ iops, sample });
      lastSpace = (await space()) ?? lastSpace;
      let credits: CreditState | undefined;
      if (tracker) {
        tracker.observe(sample.intervalMs / 1000, iops);
        const window = history.last(throttleSamples).map((h) => ({ ...h.sample, iops: h.iops }));
        tracker.observeThrottled(throttledAtBaseline(tracker.model, window, throttleSamples));
        const rateWindow = history.last(rateSamples);
        const seconds = rateWindow.reduce((a, h) => a + h.sample.intervalMs, 0) / 1000;
        const rate = seconds > 0 ? rateWindow.reduce((a, h) => a + h.iops * h.sample.intervalMs / 1000, 0) / seconds : iops;
        credits = tracker.state(rate);
      }
      judge(credits);
      readings++;
      const { tMs: _t, device, ioPressurePercent, ...rest } = sample;
      last = {
        at: new Date(clock.now()).toISOString(),
        sample: { ...rest, device: device ?? null, ioPressurePercent: ioPressurePercent ?? null },
        burstDeviceIops: burstRates ? iops : null,
        space: lastSpace ?? null,
        credits: credits ?? null,
        active: [...active.keys()].sort(),
      };
      emit({ type: 'reading', reading: last });
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    stopCanary.abort();
    await canaryLoop;
  }
  return { target, readings, last, findings: [...active.values()] };
}

function pick(m: BurstModel & { tier?: string }) {
  return {
    model: m.name, baselineIops: m.baselineIops, burstIops: m.burstIops, bucketCredits: m.bucketCredits, sizeGiB: Math.round(m.sizeGiB * 10) / 10,
    ...(m.tier ? { tier: m.tier } : {}), ...(m.baselineMBps !== undefined ? { baselineMBps: m.baselineMBps } : {}), ...(m.burstMBps !== undefined ? { burstMBps: m.burstMBps } : {}),
  };
}

/**
 * Every `everyMs`, one create -> start -> wait -> remove through the engine, timed; judged against the
 * rolling median of earlier starts (bench's stall detector). Resolves once `stop` is aborted and the
 * container in flight, if any, is removed.
 */
async function runCanary(options: CanaryOptions, context: CapabilityContext, stop: AbortSignal, report: (o: CanaryOutcome) => void): Promise<void> {
  const engine = await context.engine();
  const detector = new StallDetector({ factor: options.factor ?? 3, window: 20, warmup: 3 });
  const labels = { ...CANARY_LABELS, 'stowage.pid': String(process.pid) };
  const timeoutMs = Math.max(60_000, options.everyMs * 5);
  while (!stop.aborted) {
    const t0 = context.clock.monotonic();
    let id: string | undefined;
    let error: string | undefined;
    try {
      id = await engine.createContainer({ image: options.image, ...(options.cmd ? { cmd: options.cmd } : {}), labels, networkMode: 'none' }, timeoutMs);
      await engine.startContainer(id, timeoutMs);
      await engine.waitContainer(id, timeoutMs);
      await engine.removeContainer(id, { timeoutMs });
      id = undefined;
    } catch (err) {
      error = (err as Error).message;
    } finally {
      if (id) await engine.removeContainer(id, { force: true, timeoutMs }).catch(() => undefined);
    }
    const durationMs = context.clock.monotonic() - t0;
    const verdict = error ? { stalled: false, medianMs: undefined } : detector.observe(durationMs);
    if (!stop.aborted || !error) report({ image: options.image, durationMs, medianMs: verdict.medianMs, slow: verdict.stalled, error });
    await context.clock.sleep(Math.max(0, options.everyMs - durationMs), stop).catch(() => undefined);
  }
}


/** Every tenth reading scans all threads for D state; between those, only while tasks wait on I/O or were in D state. */
const FULL_SCAN_EVERY = 10;

function taskScan(readings: number, prev: HostSample): TaskScan {
  return readings % FULL_SCAN_EVERY === 0 || prev.blocked.length > 0 ? 'always' : 'if-waiting';
}
