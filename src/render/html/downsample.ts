/**
 * Thousands of points drawn into a few hundred pixels: per pixel column keep the minimum and the maximum
 * (issue 19), so a spike such as a stalled start can never be averaged away.
 */

export interface Bucket {
  /** Pixel column (already scaled x). */
  px: number;
  min: number;
  max: number;
  count: number;
}

/** Groups items by whole pixel column: `xPx` maps an item to its pixel, `value` gives the figure kept as min and max. */
export function minMaxBuckets<T>(items: readonly T[], xPx: (item: T) => number, value: (item: T) => number): Bucket[] {
  const byPx = new Map<number, Bucket>();
  for (const item of items) {
    const v = value(item);
    if (!Number.isFinite(v)) continue;
    const px = Math.round(xPx(item));
    const b = byPx.get(px);
    if (b) {
      b.min = Math.min(b.min, v);
      b.max = Math.max(b.max, v);
      b.count++;
    } else {
      byPx.set(px, { px, min: v, max: v, count: 1 });
    }
  }
  return [...byPx.values()].sort((a, b) => a.px - b.px);
}
