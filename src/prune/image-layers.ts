/**
 * Which layers an image holds and how big each is, so that removing a set of images is credited only with the
 * layers no kept image still uses. Layers are told apart by chain ID (the ID of a layer on top of its parents,
 * as the engine's layer store keys them); each layer's size comes from the image's history, whose rows that
 * made a layer carry its size (`docker history`).
 */


/**
 * Each layer's size from history rows (newest first, as the engine returns them), or undefined when the rows
 * cannot be matched to the layers for sure: every row a layer, or exactly the rows with bytes; and the sizes
 * must add up to the image's size (the engine's Size is the sum of its layers' sizes).
 */
export function layerSizes(layerCount: number, historySizes: readonly number[], imageSize: number): number[] | undefined {
  const oldestFirst = [...historySizes].reverse();
  let sizes: number[] | undefined;
  if (oldestFirst.length === layerCount) sizes = oldestFirst;
  else if (oldestFirst.filter((s) => s > 0).length === layerCount) sizes = oldestFirst.filter((s) => s > 0);
  else if (imageSize === 0 && layerCount > 0) sizes = new Array<number>(layerCount).fill(0);
  if (!sizes) return undefined;
  return sizes.reduce((a, b) => a + b, 0) === imageSize ? sizes : undefined;
}

export interface ImageLayers {
  /** Chain IDs, base first. */
  chain: string[];
  /** Bytes of each layer, when the history matched. */
  sizes: number[] | undefined;
}

export interface ImageBytes {
  id: string;
  /** Bytes removing it frees, given the images kept: its layers no kept image holds, each counted once across the removed. */
  bytes: number;
  /** Of its size, the bytes in layers a kept image still uses. */
  sharedWithKept: number;
  /** How the figure was found: `layers` (exact), or `engine` (size less the engine's SharedSize: a lower bound). */
  method: 'layers' | 'engine';
}

export interface ImageForBytes {
  id: string;
  size: number;
  /** The engine's SharedSize (bytes in layers some other image holds); -1 when unknown. */
  sharedSize: number;
  layers: ImageLayers | undefined;
}

/**
 * What removing `removed` (in this order) frees while `kept` stay. A layer several removed images share is
 * credited to the first of them. An image whose layers could not be sized falls back to the engine's unique
 * size, which never over-counts.
 */
export function freedBytes(removed: readonly ImageForBytes[], kept: readonly ImageForBytes[]): ImageBytes[] {
  const keptChains = new Set<string>();
  let keptUnknown = false;
  for (const k of kept) {
    if (k.layers) for (const c of k.layers.chain) keptChains.add(c);
    else if (k.sharedSize !== 0) keptUnknown = true;
  }
  const credited = new Set<string>();
  return removed.map((image) => {
    const engineUnique = image.sharedSize >= 0 ? Math.max(0, image.size - image.sharedSize) : 0;
    if (image.sharedSize === 0) {
      for (const c of image.layers?.chain ?? []) credited.add(c);
      return { id: image.id, bytes: image.size, sharedWithKept: 0, method: 'layers' as const };
    }
    const layers = image.layers;
    if (!layers?.sizes || keptUnknown) {
      return { id: image.id, bytes: engineUnique, sharedWithKept: image.size - engineUnique, method: 'engine' as const };
    }
    let bytes = 0;
    let sharedWithKept = 0;
    layers.chain.forEach((c, i) => {
      const size = layers.sizes![i]!;
      if (keptChains.has(c)) sharedWithKept += size;
      else if (!credited.has(c)) {
        credited.add(c);
        bytes += size;
      }
    });
    return { id: image.id, bytes, sharedWithKept, method: 'layers' as const };
  });
}
