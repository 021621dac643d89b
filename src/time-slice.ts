/**
 * A long synchronous loop on the main thread, cut into slices: between two slices the event loop gets a turn,
 * so that a stream running meanwhile (flatten's upload, fed from the main thread) waits a few milliseconds at
 * most, not for the whole loop (the first layer's walk had held flatten's first byte back to 0.5-0.6 s).
 */
export class TimeSlice {
  private until: number;

  constructor(private readonly ms = 2) {
    this.until = performance.now() + ms;
  }

  /** The slice is used up: the loop should `await pause()` before going on. */
  get due(): boolean {
    return performance.now() >= this.until;
  }

  /** Gives the event loop a turn (I/O callbacks included), then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.until = performance.now() + this.ms;
  }
}
