/**
 * Time as every capability sees it: injected through the capability context, so waits, windows, ages and
 * timeouts are tested with a test clock, without sleeping and without flaky thresholds.
 */

export interface Clock {
  /** Wall-clock time, epoch ms (for ages and timestamps). */
  now(): number;
  /** Monotonic ms (for durations and windows); only differences are meaningful. */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason as soon as it is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    // not unref'd: a wait someone awaits must keep the process alive (abort the signal to end it early)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  }),
};

/** A clock tests drive: time moves only by `advance` (or by each sleep, with `autoAdvance`). */
export class TestClock implements Clock {
  /** Every sleep asked for so far, in ms, in order. */
  readonly sleeps: number[] = [];
  private wall: number;
  private mono = 0;
  private readonly autoAdvance: boolean;
  private readonly sleepers: { at: number; resolve: () => void }[] = [];

  constructor(options: { start?: number; autoAdvance?: boolean } = {}) {
    this.wall = options.start ?? Date.UTC(2026, 0, 1);
    this.autoAdvance = options.autoAdvance ?? false;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.autoAdvance) {
      this.advance(ms);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const sleeper = { at: this.mono + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
        reject(signal.reason);
      }, { once: true });
    });
  }

  /** Moves both clocks on and wakes every sleep that is due. */
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
    for (const s of this.sleepers.filter((x) => x.at <= this.mono)) {
      this.sleepers.splice(this.sleepers.indexOf(s), 1);
      s.resolve();
    }
  }
}
