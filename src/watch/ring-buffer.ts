/** A fixed-capacity history: the newest `capacity` items, oldest first; memory stays flat however long watch runs. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a whole number >= 1');
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.capacity, this.count + 1);
  }

  get size(): number {
    return this.count;
  }

  /** The newest `n` items (all by default), oldest first. */
  last(n = this.count): T[] {
    const k = Math.min(n, this.count);
    const out: T[] = [];
    for (let i = k; i >= 1; i--) out.push(this.items[(this.next - i + this.capacity) % this.capacity]!);
    return out;
  }

  latest(): T | undefined {
    return this.count ? this.items[(this.next - 1 + this.capacity) % this.capacity] : undefined;
  }
}
