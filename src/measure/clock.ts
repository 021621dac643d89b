/** Time as bench code sees it: injected, so stall detection and loops are tested without sleeping. */

export interface Clock {
  /** Monotonic milliseconds; only differences are meaningful. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  // unref: a pending sampler tick must not keep the process alive after the benchmark ends
  sleep: (ms) => new Promise((resolve) => { setTimeout(resolve, ms).unref(); }),
};
