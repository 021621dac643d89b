/**
 * The 1 Hz host sampler that runs beside a benchmark: the data-root device's IOPS, throughput, await and
 * utilisation (iostat's formulas), iowait, and the tasks in D state with their wchan.
 */
import { describeChain, physicalDisks, type DiskAttributes } from '../host/block-device.js';
import { deviceForPath } from '../host/path-device.js';
import type { HostFs } from '../host/host-fs.js';
import { sampleHost, type HostSample } from '../host/host-sample.js';
import { cpuBusyPercent, iowaitPercent, pressurePercent, sampleRates, type IoRates } from './io-rates.js';
import type { Clock } from '../clock.js';

/** Where the engine keeps its data, down to the device the sampler watches. */
export interface DataRootDevice {
  dataRoot: string;
  mountPoint: string | undefined;
  fsType: string | undefined;
  /** The block device holding the filesystem (`vda1`, `loop3`, `dm-0`); undefined for overlay/tmpfs/remote. */
  device: string | undefined;
  majorMinor: string | undefined;
  /** `loop3 (file /srv/d.img) -> vda`. */
  chain: string | undefined;
  /** The whole disk at the bottom of the chain (the first one when there are several). */
  disk: DiskAttributes | undefined;
}

/** Resolves the data-root path to its mount and block device (the same resolution doctor uses). */
export function resolveDataRootDevice(fs: HostFs, dataRoot: string): DataRootDevice {
  const found = deviceForPath(fs, dataRoot);
  const node = found.device;
  return {
    dataRoot,
    mountPoint: found.mount?.mountPoint,
    fsType: found.mount?.fsType,
    device: node?.name,
    majorMinor: found.majorMinor,
    chain: node ? describeChain(node) : undefined,
    disk: node ? physicalDisks(node)[0] : undefined,
  };
}

/** One second (or interval) of host state, relative to the benchmark's start. */
export interface DeviceSample extends Omit<IoRates, 'device'> {
  /** End of the interval, ms since the benchmark started. */
  tMs: number;
  device: string | undefined;
  iowaitPercent: number;
  /** Share of the interval some task stalled on I/O (PSI); undefined where the kernel has no PSI. */
  ioPressurePercent: number | undefined;
  /** CPU time not idle and not iowait, percent of all CPUs. */
  cpuBusyPercent: number;
  blockedTasks: number;
  /** Up to five `comm[pid] wchan` of the tasks in D state at the end of the interval. */
  blocked: string[];
}


/** Turns two raw host samples into one interval of rates for `device`. */
export function toDeviceSample(prev: HostSample, cur: HostSample, device: string | undefined, originMs: number): DeviceSample {
  const intervalMs = Math.max(1, cur.atMs - prev.atMs);
  const rates = device ? sampleRates(prev, cur, [device])[0] : undefined;
  return {
    tMs: cur.atMs - originMs,
    intervalMs,
    device,
    readIops: rates?.readIops ?? 0,
    writeIops: rates?.writeIops ?? 0,
    readBytesPerSec: rates?.readBytesPerSec ?? 0,
    writeBytesPerSec: rates?.writeBytesPerSec ?? 0,
    readAwaitMs: rates?.readAwaitMs ?? 0,
    writeAwaitMs: rates?.writeAwaitMs ?? 0,
    utilPercent: rates?.utilPercent ?? 0,
    queueDepth: rates?.queueDepth ?? 0,
    iowaitPercent: prev.cpu && cur.cpu ? iowaitPercent(prev.cpu, cur.cpu) : 0,
    ioPressurePercent: prev.pressure && cur.pressure ? pressurePercent(prev.pressure, cur.pressure, intervalMs) : undefined,
    cpuBusyPercent: prev.cpu && cur.cpu ? cpuBusyPercent(prev.cpu, cur.cpu) : 0,
    blockedTasks: cur.blocked.length,
    blocked: cur.blocked.slice(0, 5).map((t) => `${t.comm}[${t.pid}]${t.wchan ? ` ${t.wchan}` : ''}`),
  };
}

/**
 * Samples the host every `intervalMs` of the clock (its monotonic time) until stopped; `cpuMs` is what
 * sampling itself cost this process. `originMs` is the clock's monotonic time the benchmark started at.
 */
export class Sampler {
  readonly samples: DeviceSample[] = [];
  cpuMs = 0;
  private stopped = false;
  /** Aborted by stop(): ends the pending sleep, so no timer outlives the benchmark. */
  private readonly stopping = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly fs: HostFs,
    private readonly device: string | undefined,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly originMs: number,
    private readonly onSample?: (sample: DeviceSample) => void,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops after taking one last sample, so the end of the run is covered. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.wake?.();
    await this.loop;
  }

  /** The latest sample, or undefined before the first interval ends. */
  latest(): DeviceSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  private take(): HostSample {
    const cpu = process.cpuUsage();
    const s = sampleHost(this.fs, this.clock.monotonic());
    const used = process.cpuUsage(cpu);
    this.cpuMs += (used.user + used.system) / 1000;
    return s;
  }

  private async run(): Promise<void> {
    let prev = this.take();
    while (!this.stopped) {
      await Promise.race([
        this.clock.sleep(this.intervalMs, this.stopping.signal).catch(() => undefined),
        new Promise<void>((r) => { this.wake = r; }),
      ]);
      const cur = this.take();
      if (cur.atMs - prev.atMs < 1) continue;
      const sample = toDeviceSample(prev, cur, this.device, this.originMs);
      this.samples.push(sample);
      this.onSample?.(sample);
      prev = cur;
    }
  }
}
