/**
 * `bench disk [PATH]`: sync-write latency (the `dd oflag=sync` test), 4 KiB random-write IOPS and sequential
 * throughput on the filesystem holding PATH, with fio when installed and a built-in probe when not; and with
 * `--in-container`, the same dd probe inside a container (on its overlay upper directory) beside the host.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import { isLocalEndpoint } from '../engine/endpoint.js';
import { BadInputError, EngineRequestError, HostError, UsageError } from '../errors.js';
import type { Finding } from '../findings.js';
import { BENCH_FINDINGS, type BenchFinding } from './finding-ids.js';
import { fioVersion, runFioDiskJobs, type FioReport } from '../host/fio.js';
import { spaceOf } from '../host/filesystem.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { randomWriteProbe, sequentialWriteProbe } from '../host/io-probe.js';
import { LineStamper, runShellProbe } from '../host/shell-probe.js';
import { syncWriteProbe } from '../host/sync-write-probe.js';
import { formatBytes, formatDuration } from '../units.js';
import { DEFAULT_MARKER_PLAN, MarkerStage, markerProbeScript, parseMarkerProbe, type MarkerProbePlan, type MarkerProbeResult } from './marker-probe.js';
import { percentile } from '../stats.js';
import { resolveDataRootDevice, type DataRootDevice } from '../measure/sampler.js';

/** The probes' block unit (`dd bs=1M`), printed in decimal units as every size is. */
const MIB = 1024 * 1024;

export type DiskTool = 'auto' | 'fio' | 'built-in';

export interface DiskBenchOptions {
  /** A directory on the filesystem to measure; the engine's data-root when omitted. */
  path?: string;
  tool?: DiskTool;
  /** Length of the random and sequential runs. */
  runtimeMs?: number;
  /** 1 MiB sync writes (10 = the 10 MB dd test). */
  syncWrites?: number;
  /** `writeIops` limits the probe container on PATH's device, as `docker run --device-write-iops` would. */
  inContainer?: { image: string; plan?: MarkerProbePlan; writeIops?: number };
  hostFs?: HostFs;
}

/**
 * A phase starting: `update({ step, detail: { expectedMs } })` on the context's progress, with how long it
 * should take when that is known (for an ETA).
 */
export interface DiskPhase {
  step: string;
  expectedMs?: number;
  /** Where the phase is now (the in-container probe's `1.05 MB fsync'd writes 4/10`), sent again as it moves. */
  stage?: string;
}

/** bench disk's result, which is its `--json` document (`result`). */
export interface DiskBenchResult {
  schemaVersion: 1;
  path: string;
  device: DataRootDevice;
  tool: 'fio' | 'built-in';
  /** fio's version, or why the built-in probe ran. */
  toolDetail: string;
  syncWrite: {
    writes: number; blockBytes: number; p50Ms: number; p99Ms: number; maxMs: number; bytesPerSec: number;
    /** How p50 and p99 were taken: exactly from every write, or from fio's histogram bins, clamped to the max. */
    percentiles: 'exact' | 'fio-bins-clamped';
  };
  randomWrite: { iops: number; blockBytes: number; p99Ms: number | undefined; method: string };
  sequentialWrite: { bytesPerSec: number; method: string };
  comparison: ContainerComparison | undefined;
  findings: Finding[];
}

export interface ContainerComparison {
  image: string;
  /** The write IOPS limit the probe container ran under, when one was asked for. */
  writeLimit: { path: string; rate: number } | undefined;
  /** The container's overlay upper directory, where its writes landed. */
  upperDir: string | undefined;
  method: string;
  host: MarkerProbeResult;
  container: MarkerProbeResult;
  /**
   * How many times slower inside than on the host, one direction for every row: container/host for
   * latencies, host/container for rates. Above 1 is slower inside, below 1 faster.
   */
  slowerBy: { syncP50: number; syncP99: number; smallWrites: number; sequential: number };
}

/**
 * Measures sync-write latency, 4k random writes and sequential throughput under a path (fio, or the built-in
 * probe). The engine is used only without a path (for its data-root) and for `inContainer`; both need it on
 * this host. The context's signal is checked between phases and stops fio, the dd probes and the container wait.
 */
export async function runDiskBench(options: DiskBenchOptions, context: CapabilityContext): Promise<DiskBenchResult> {
  const fs = options.hostFs ?? liveHostFs;
  const runtimeMs = options.runtimeMs ?? 5000;
  const syncWrites = options.syncWrites ?? 10;
  const { signal } = context;
  const phase = (p: DiskPhase) => {
    signal.throwIfAborted();
    const detail = { ...(p.expectedMs !== undefined ? { expectedMs: p.expectedMs } : {}), ...(p.stage !== undefined ? { stage: p.stage } : {}) };
    context.progress.update({ step: p.step, ...(Object.keys(detail).length ? { detail } : {}) });
  };
  const engine = options.path === undefined || options.inContainer ? await localEngine(context) : undefined;
  const path = options.path ?? (await engine!.info()).dockerRootDir;
  const device = resolveDataRootDevice(fs, path);
  // the probes' files must fit: at most half of what is free, so a nearly full disk is not filled
  const free = (await guard(() => spaceOf(path), path)).availableBytes;
  const MiB = 1024 * 1024;
  if (free < 32 * MiB) throw new HostError(`only ${formatBytes(free)} free on ${path}: too little to measure`, 'Free some space, or measure another path.');
  const budgetMiB = Math.floor(free / 2 / MiB);
  const randomMiB = Math.min(64, Math.max(4, Math.floor(budgetMiB / 4)));
  const sequentialMiB = Math.min(256, budgetMiB - randomMiB);
  const version = options.tool === 'built-in' ? undefined : await fioVersion();
  if (options.tool === 'fio' && !version) throw new HostError('fio is not installed', "Install it (apt-get install fio) or use `tool: 'built-in'`.");

  let result: Omit<DiskBenchResult, 'schemaVersion' | 'comparison' | 'findings' | 'path' | 'device'>;
  if (version) {
    phase({ step: `${version}: ${syncWrites} sync writes, then ${formatDuration(runtimeMs)} of 4k random writes and of sequential writes`, expectedMs: 2 * runtimeMs + 1000 });
    const jobs = { directory: path, syncWrites, runtimeSeconds: Math.max(1, Math.round(runtimeMs / 1000)), randomMiB, sequentialMiB };
    let report: FioReport;
    let note = '';
    try {
      report = await runFioDiskJobs({ ...jobs, direct: true }, runtimeMs * 4 + 120_000, signal);
    } catch {
      signal.throwIfAborted();
      // O_DIRECT is refused by some filesystems (tmpfs, some FUSE): rerun buffered, ended by fsync
      report = await runFioDiskJobs({ ...jobs, direct: false }, runtimeMs * 4 + 120_000, signal)
        .catch((err: Error) => { throw new HostError(err.message, `Check that ${path} is writable.`); });
      note = ', buffered (O_DIRECT refused)';
    }
    const job = (name: string) => {
      const j = report.jobs.find((x) => x.name === name);
      if (!j || j.error) throw new HostError(`fio job ${name} failed${j ? ` (error ${j.error})` : ''}`);
      return j;
    };
    const sync = job('sync-write');
    const rand = job('randwrite');
    const seq = job('seqwrite');
    result = {
      tool: 'fio',
      toolDetail: report.version || version,
      syncWrite: { writes: sync.totalIos, blockBytes: 1024 * 1024, ...fioPercentiles(sync.clatP50Ms, sync.clatP99Ms, sync.clatMaxMs), bytesPerSec: sync.writeBytesPerSec },
      randomWrite: { iops: rand.writeIops, blockBytes: 4096, p99Ms: rand.clatP99Ms, method: `fio randwrite bs=4k libaio iodepth=32${note || ' direct'}` },
      sequentialWrite: { bytesPerSec: seq.writeBytesPerSec, method: `fio write bs=1M libaio iodepth=8${note || ' direct'}` },
    };
  } else {
    const why = options.tool === 'built-in' ? 'asked for with --tool built-in' : 'fio is not installed';
    phase({ step: `built-in probe (${why}): ${syncWrites} sync writes of ${formatBytes(MiB)}` });
    const sync = await guard(() => syncWriteProbe(path, { writes: syncWrites, deadlineMs: Math.max(20_000, runtimeMs * 4) }), path);
    phase({ step: `built-in probe: 4k random writes for ${formatDuration(runtimeMs)}`, expectedMs: runtimeMs });
    const rand = await guard(() => randomWriteProbe(path, { durationMs: runtimeMs, fileBytes: randomMiB * MiB }), path);
    phase({ step: `built-in probe: sequential writes for ${formatDuration(runtimeMs)}`, expectedMs: runtimeMs });
    const seq = await guard(() => sequentialWriteProbe(path, { durationMs: runtimeMs, maxBytes: Math.max(sequentialMiB, 8) * MiB }), path);
    const syncBytes = sync.latenciesMs.length * sync.blockBytes;
    result = {
      tool: 'built-in',
      toolDetail: `built-in probe (${why})`,
      syncWrite: {
        writes: sync.latenciesMs.length, blockBytes: sync.blockBytes,
        p50Ms: percentile(sync.latenciesMs, 50), p99Ms: percentile(sync.latenciesMs, 99), maxMs: Math.max(...sync.latenciesMs),
        percentiles: 'exact', bytesPerSec: sync.totalMs > 0 ? syncBytes / (sync.totalMs / 1000) : 0,
      },
      randomWrite: {
        iops: rand.elapsedMs > 0 ? rand.operations / (rand.elapsedMs / 1000) : 0, blockBytes: 4096,
        p99Ms: percentile(rand.latenciesMs, 99), method: 'built-in: 4k O_DSYNC writes at random offsets, 4 in flight',
      },
      sequentialWrite: { bytesPerSec: seq.elapsedMs > 0 ? seq.bytes / (seq.elapsedMs / 1000) : 0, method: `built-in: ${formatBytes(MiB)} writes, then fsync` },
    };
  }

  let comparison: ContainerComparison | undefined;
  if (options.inContainer) {
    const ic = options.inContainer;
    if (ic.writeIops !== undefined && !device.device) throw new BadInputError(`no block device found under ${path} to limit`);
    const limit = ic.writeIops !== undefined && device.device ? { path: `/dev/${device.device}`, rate: ic.writeIops } : undefined;
    comparison = await compareWithContainer(path, engine!, ic.image, ic.plan ?? DEFAULT_MARKER_PLAN, limit, phase, context);
  }
  signal.throwIfAborted();
  const full = { schemaVersion: 1 as const, path, device, ...result, comparison, findings: [] as Finding[] };
  full.findings = diskFindings(full);
  return full;
}

/**
 * fio reports percentiles as the upper edge of its latency histogram's bin (up to 1/64 wide), so with few
 * writes its p99 can exceed the exact max it also reports (p99 5.9 ms, max 5.8 ms: issue 20). Clamp to the
 * max, which is exact, and say so.
 */
export function fioPercentiles(p50Ms: number | undefined, p99Ms: number | undefined, maxMs: number | undefined):
  { p50Ms: number; p99Ms: number; maxMs: number; percentiles: 'fio-bins-clamped' } {
  const max = maxMs ?? NaN;
  const clamp = (v: number | undefined) => (v === undefined ? NaN : Number.isFinite(max) ? Math.min(v, max) : v);
  return { p50Ms: clamp(p50Ms), p99Ms: clamp(p99Ms), maxMs: max, percentiles: 'fio-bins-clamped' };
}

/** The context's engine, refused when it is remote: the probes run on this host, its data-root and containers elsewhere. */
async function localEngine(context: CapabilityContext): Promise<EngineClient> {
  const engine = await context.engine();
  if (!isLocalEndpoint(engine.endpoint)) {
    throw new UsageError(`bench disk measures this host, but the engine at ${engine.endpoint.url} is remote`,
      'Run stowage on the engine\'s host, or give a `path` here and leave out `inContainer`.');
  }
  return engine;
}

async function guard<T>(work: () => Promise<T>, path: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BadInputError(`${path} does not exist`);
    if (code === 'ENOSPC') throw new HostError(`no space left on ${path} for the probe files`, 'Free some space, or measure another path.', { cause: err });
    throw new HostError(`cannot write probe files in ${path}: ${(err as Error).message}`, 'Run as a user who can write there (root for the data-root).', { cause: err });
  }
}

/** Runs the marker probe on the host, in a directory under `path`, then inside a container of `image`. */
async function compareWithContainer(path: string, engine: EngineClient, image: string, plan: MarkerProbePlan,
  writeLimit: { path: string; rate: number } | undefined, phase: (p: DiskPhase) => void, context: CapabilityContext): Promise<ContainerComparison> {
  const script = markerProbeScript(plan);
  const steps = `${plan.syncWrites} x ${formatBytes(MIB)} and ${plan.smallWrites} x ${formatBytes(4096)} fsync'd writes, ${formatBytes(plan.sequentialMiB * MIB)} sequential`;
  // each side's stage as its markers arrive, so a throttled disk's long probe is watched, not waited on
  const staged = (step: string) => {
    const stage = new MarkerStage(plan);
    phase({ step, stage: stage.text });
    return (line: { text: string }) => { if (stage.push(line.text)) context.progress.update({ step, detail: { stage: stage.text } }); };
  };
  const hostStep = `in-container probe 1/2: dd on the host in ${path} (${steps})`;
  const onHostLine = staged(hostStep);
  const dir = await guard(() => mkdtemp(join(path, '.stowage-probe-')), path);
  let hostRun;
  try {
    hostRun = await runShellProbe(script, dir, 600_000, () => context.clock.monotonic(), onHostLine, context.signal);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const host = parseMarkerProbe(hostRun.lines, plan);
  if (!host) throw new HostError(`the dd probe failed on the host (exit ${hostRun.code}): ${hostRun.stderr.trim()}`);
  try {
    await engine.inspectImage(image);
  } catch (err) {
    if (!(err instanceof EngineRequestError && err.statusCode === 404)) throw err;
    throw new BadInputError(`image ${image} is not in the engine`, 'Give `image` an image with sh and dd (busybox, debian…) that is present.', { cause: err });
  }
  const onContainerLine = staged(`in-container probe 2/2: dd inside ${image}${writeLimit ? ` limited to ${writeLimit.rate} write IOPS on ${writeLimit.path}` : ''} (${steps})`);
  const id = await engine.createContainer({
    image, entrypoint: ['sh', '-c'], cmd: [script], tty: true, workingDir: '/.stowage-probe', networkMode: 'none',
    labels: { 'stowage.bench': 'disk' },
    ...(writeLimit ? { deviceWriteIops: [writeLimit] } : {}),
  }, 120_000);
  let lines;
  let upperDir: string | undefined;
  let exit;
  try {
    upperDir = (await engine.inspectContainer(id)).graphDriver.data.UpperDir;
    const stream = await engine.attachContainer(id);
    const stamper = new LineStamper(() => context.clock.monotonic(), onContainerLine);
    stream.on('data', (chunk: Buffer) => stamper.push(chunk.toString('utf8')));
    const ended = new Promise<void>((resolve) => { stream.on('end', resolve); stream.on('close', resolve); });
    await engine.startContainer(id, 120_000);
    // Ctrl-C stops waiting at once; the finally below still removes the container
    exit = await untilAborted(engine.waitContainer(id, 600_000), context.signal);
    // the attach stream may trail the exit: give it 2 s, then go on with what arrived
    const grace = new AbortController();
    await Promise.race([ended, context.clock.sleep(2000, grace.signal).catch(() => undefined)]);
    grace.abort();
    lines = stamper.end();
  } finally {
    await engine.removeContainer(id, { force: true, timeoutMs: 120_000 }).catch(() => undefined);
  }
  const container = parseMarkerProbe(lines, plan);
  if (!container) {
    throw new BadInputError(`the dd probe did not complete inside ${image} (exit ${exit.statusCode})`,
      'The image needs sh and dd with conv=fsync (busybox and coreutils have them).');
  }
  return {
    image, writeLimit, upperDir,
    method: probeMethod(plan, host, container),
    host, container,
    slowerBy: slowerBy(host, container),
  };
}

/** `work`, or the signal's reason as soon as it is aborted (the work itself is left to its own cleanup). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** What both sides ran and how they were timed: the same dd calls, through the page cache, each ended by fsync. */
export function probeMethod(plan: MarkerProbePlan, host: MarkerProbeResult, container: MarkerProbeResult): string {
  const clock = host.clock === 'in-probe' && container.clock === 'in-probe'
    ? 'timed inside each probe by the shell\'s scheduler clock'
    : 'timed as each marker arrived (no /proc/self/sched: batched output blurs short steps)';
  return `the same dd calls on both sides, page cache then fsync (not O_DIRECT like fio above), one dd per write, `
    + `its start-up cost taken off; ${plan.syncWrites} x ${formatBytes(MIB)} and ${plan.smallWrites} x ${formatBytes(4096)} fsync'd, ${formatBytes(plan.sequentialMiB * MIB)} sequential ended by fsync; ${clock}`;
}

/** container/host for latencies, host/container for rates: above 1 is slower inside, whichever the row. */
export function slowerBy(host: MarkerProbeResult, container: MarkerProbeResult): ContainerComparison['slowerBy'] {
  // a figure can be 0 once dd's start-up is taken off: floor the divisors at 1 µs (and 1 write or byte
  // per second) rather than divide by zero
  return {
    syncP50: container.syncWrite.p50Ms / Math.max(host.syncWrite.p50Ms, 0.001),
    syncP99: container.syncWrite.p99Ms / Math.max(host.syncWrite.p99Ms, 0.001),
    smallWrites: host.smallWritesPerSec / Math.max(container.smallWritesPerSec, 1),
    sequential: host.sequentialBytesPerSec / Math.max(container.sequentialBytesPerSec, 1),
  };
}

/** Sync-write thresholds (ms at p99) for `bench/slow-sync-writes`: a healthy SSD answers in a few ms. */
export const SYNC_WRITE_P99_WARN_MS = 100;
export const SYNC_WRITE_P99_ERROR_MS = 1000;

export function diskFindings(r: Omit<DiskBenchResult, 'schemaVersion' | 'findings'>): BenchFinding[] {
  const findings: BenchFinding[] = [];
  const subject = { kind: 'path' as const, id: r.path };
  const p99 = r.syncWrite.p99Ms;
  if (p99 >= SYNC_WRITE_P99_WARN_MS) {
    findings.push({
      id: BENCH_FINDINGS.slowSyncWrites.id,
      severity: p99 >= SYNC_WRITE_P99_ERROR_MS ? 'error' : 'warn',
      title: `${formatBytes(r.syncWrite.blockBytes)} sync writes on ${r.device.device ?? r.path} take ${formatDuration(r.syncWrite.p50Ms)} at p50 and ${formatDuration(p99)} at p99`,
      evidence: [
        { label: 'tool', value: r.toolDetail },
        // unrounded: rendered by the formatter the table uses, so both read the same (issue 20)
        { label: 'sync write p50', value: r.syncWrite.p50Ms, unit: 'ms' },
        { label: 'sync write p99', value: p99, unit: 'ms' },
        { label: '4k random-write IOPS', value: Math.round(r.randomWrite.iops), unit: 'IOPS' },
        { label: 'sequential write', value: r.sequentialWrite.bytesPerSec, unit: 'bytes/s' },
        ...(r.device.chain ? [{ label: 'device', value: r.device.chain }] : []),
      ],
      fix: {
        summary: 'Every container start and layer commit syncs: put the data-root on a disk that answers sync writes in milliseconds, or find what throttles this one.',
        commands: ['stowage doctor', 'stowage bench start --image IMAGE -n 50'],
      },
      subject,
    });
  }
  const c = r.comparison;
  if (c) {
    const slower: string[] = [];
    const k = c.slowerBy;
    if (k.syncP50 >= 2 && c.container.syncWrite.p50Ms - c.host.syncWrite.p50Ms >= 5) slower.push(`sync writes ${k.syncP50.toFixed(1)}x slower`);
    if (k.smallWrites >= 2) slower.push(`4k fsync'd writes ${k.smallWrites.toFixed(1)}x slower`);
    if (k.sequential >= 2) slower.push(`sequential writes at ${formatBytes(c.container.sequentialBytesPerSec)}/s against ${formatBytes(c.host.sequentialBytesPerSec)}/s on the host`);
    // the same figures as the table: evidence in ms is rendered by the same formatter, so never pre-rounded
    const evidence = [
      ...(c.writeLimit ? [
        { label: 'write limit set with --write-iops', value: c.writeLimit.rate, unit: 'IOPS' },
        { label: 'limited device', value: c.writeLimit.path },
      ] : []),
      { label: 'container sync write p50', value: c.container.syncWrite.p50Ms, unit: 'ms' },
      { label: 'host sync write p50', value: c.host.syncWrite.p50Ms, unit: 'ms' },
      { label: 'container 4k writes/s', value: Math.round(c.container.smallWritesPerSec) },
      { label: 'host 4k writes/s', value: Math.round(c.host.smallWritesPerSec) },
      { label: 'container sequential', value: c.container.sequentialBytesPerSec, unit: 'bytes/s' },
      { label: 'host sequential', value: c.host.sequentialBytesPerSec, unit: 'bytes/s' },
      ...(c.upperDir ? [{ label: 'container upper dir', value: c.upperDir }] : []),
    ];
    if (c.writeLimit) findings.push(writeLimitFinding(c, c.writeLimit, slower, evidence));
    else if (slower.length) {
      findings.push({
        id: BENCH_FINDINGS.containerIoSlower.id,
        severity: k.sequential >= 10 || k.syncP50 >= 10 ? 'error' : 'warn',
        title: `I/O inside a ${c.image} container is slower than on the host: ${slower.join(', ')}`,
        evidence,
        fix: {
          summary: 'The layer between the container and the disk costs the difference: check the storage driver (overlay2 on a fast, d_type-capable filesystem), '
            + 'blkio limits on the containers\' cgroup, and mount a volume for write-heavy paths (package caches, databases).',
          commands: ['stowage doctor', 'docker run -v cache:/var/cache/apt IMAGE …'],
        },
        subject: { kind: 'image', id: c.image },
      });
    }
  }
  return findings;
}

/**
 * Above this many 4k fsync'd writes a second per write IOPS of the limit, the limit did not hold: each such
 * write costs the device at least one write (most filesystems add the journal's commit), so under a limit
 * that holds they stay at or below it; the margin absorbs the clock's noise.
 */
export const LIMIT_HELD_FACTOR = 1.5;

/**
 * With --write-iops the limit is the user's: say the container ran under it and compare what it got with
 * the limit (info), with the host beside it; only a limit that did not hold is worth a warning.
 */
function writeLimitFinding(c: ContainerComparison, limit: { path: string; rate: number }, slower: string[], evidence: Finding['evidence']): BenchFinding {
  const got = c.container.smallWritesPerSec;
  const share = `${Math.round(got)} 4k fsync'd writes/s against the limit of ${limit.rate} write IOPS on ${limit.path}`;
  const host = slower.length ? `; against the host unlimited: ${slower.join(', ')}` : '; no slower than the host on the other rows';
  const withShare = [...evidence.slice(0, 2), { label: "container 4k fsync'd writes/s against the limit", value: (got / limit.rate) * 100, unit: '%' }, ...evidence.slice(2)];
  if (got > limit.rate * LIMIT_HELD_FACTOR) {
    return {
      id: BENCH_FINDINGS.containerIoSlower.id,
      severity: 'warn',
      title: `The write limit you set did not hold: the ${c.image} container made ${share}`,
      evidence: withShare,
      fix: {
        summary: `The kernel throttles only I/O it can charge to the container's cgroup on that very device: with cgroup v2 the io controller must be enabled for Docker's cgroups, `
          + `and ${limit.path} must be the device the writes reach (not a disk under a loop or device-mapper device). Check the limit in the container's cgroup (blkio.throttle.write_iops_device or io.max).`,
        commands: [`docker run --rm --device-write-iops ${limit.path}:${limit.rate} ${c.image} cat /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device /sys/fs/cgroup/io.max`],
      },
      subject: { kind: 'image', id: c.image },
    };
  }
  return {
    id: BENCH_FINDINGS.containerIoSlower.id,
    severity: 'info',
    title: `The ${c.image} container ran limited as you asked (--write-iops ${limit.rate}): ${share}${host}`,
    evidence: withShare,
    fix: { summary: 'Nothing to fix: this is what the limit costs (each fsync\'d write also costs the device the journal\'s commit, so fewer writes than the limit get through). Run without --write-iops to compare the container with its host unlimited.' },
    subject: { kind: 'image', id: c.image },
  };
}
