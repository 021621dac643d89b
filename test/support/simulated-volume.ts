/**
 * A burstable volume simulated behind a HostFs, for watch's tests with an injected clock: the workload
 * asks for `demand(t)` IOPS; the volume delivers up to its burst rate while its own bucket has credits and
 * its baseline after, and then tasks queue (queue depth and iowait rise). /proc/diskstats and /proc/stat
 * are computed from the clock; /sys says what the device is (an EBS volume of the given size by default).
 */
import type { HostFs } from '../../src/host/host-fs.js';

export interface SimulatedVolumeOptions {
  name: string;
  sizeBytes: number;
  baselineIops: number;
  burstIops: number;
  bucketCredits: number;
  /** The bucket's true level at t = 0 (watch does not see it). */
  startCredits: number;
  /** IOPS the workload asks for at t seconds. */
  demand: (tSeconds: number) => number;
  model?: string;
  now: () => number;
}

export class SimulatedVolume {
  credits: number;
  delivered = 0;
  private readonly counters = { ios: 0, queueMs: 0, ticksMs: 0 };
  private readonly cpu = { idle: 0, iowait: 0 };
  private lastMs = 0;

  constructor(private readonly o: SimulatedVolumeOptions) {
    this.credits = o.startCredits;
  }

  /** Steps the volume to now, one simulated second at a time. */
  private advance(): void {
    const now = this.o.now();
    while (this.lastMs + 1000 <= now) {
      const t = this.lastMs / 1000;
      const want = this.o.demand(t);
      const cap = this.credits > 0 ? this.o.burstIops : this.o.baselineIops;
      const iops = Math.min(want, cap);
      this.credits = Math.min(this.o.bucketCredits, Math.max(0, this.credits - (iops - this.o.baselineIops)));
      this.delivered = iops;
      this.counters.ios += iops;
      const held = want > iops;
      // held back: requests queue (aqu-sz 4) and a CPU in four waits on I/O
      this.counters.queueMs += held ? 4000 : iops / 1000 * 100;
      this.counters.ticksMs += held ? 1000 : Math.min(1000, iops / 10);
      this.cpu.iowait += held ? 25 : 0;
      this.cpu.idle += held ? 75 : 100;
      this.lastMs += 1000;
    }
  }

  hostFs(): HostFs {
    const base = `/sys/class/block/${this.o.name}`;
    return {
      readText: (path) => {
        this.advance();
        if (path === '/proc/diskstats') {
          const c = this.counters;
          return `   8       0 ${this.o.name} 0 0 0 0 ${c.ios} 0 ${c.ios * 8} ${Math.round(c.queueMs)} 0 ${Math.round(c.ticksMs)} ${Math.round(c.queueMs)}\n`;
        }
        if (path === '/proc/stat') return `cpu  100 0 100 ${this.cpu.idle} ${this.cpu.iowait} 0 0 0 0 0\n`;
        if (path === `${base}/size`) return `${this.o.sizeBytes / 512}\n`;
        if (path === `${base}/device/model`) return `${this.o.model ?? 'Amazon Elastic Block Store'}\n`;
        if (path === `${base}/device/serial`) return 'vol0123456789abcdef0\n';
        return undefined;
      },
      readLink: () => undefined,
      listDir: () => [],
    };
  }
}
