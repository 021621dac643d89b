/** An image read into memory as metadata: config, history mapped onto layers, and each layer's index. */
import type { LayerIndex } from './layer-index.js';

export type SourceKind = 'overlay2' | 'engine-export' | 'docker-archive' | 'oci-layout' | 'oci-archive';

export interface HistoryEntry {
  created?: string | undefined;
  createdBy: string;
  comment?: string | undefined;
  emptyLayer: boolean;
}

export interface ImageLayer extends LayerIndex {
  /** Position from the bottom, 0-based. */
  index: number;
  /** The history entry that created this layer, when history has one. */
  history: HistoryEntry | undefined;
  /** The readable instruction (`RUN chown -R app /app`, `COPY . /app`). */
  instruction: string;
  /** The blob's media type, when the source has one. */
  mediaType?: string | undefined;
  /** Compressed size as distributed, when the source has it (OCI descriptors, gzip blobs). */
  compressedBytes?: number | undefined;
}

export interface ImageIndex {
  source: { kind: SourceKind; reference: string };
  /** The config digest (the image ID). */
  id: string | undefined;
  repoTags: string[];
  /** The image config JSON as found. */
  config: Record<string, unknown>;
  /** Every history entry, empty layers included, in order. */
  history: HistoryEntry[];
  /** Bottom to top. */
  layers: ImageLayer[];
}

/** Config history as HistoryEntry[], tolerant of missing fields. */
export function historyOf(config: Record<string, unknown>): HistoryEntry[] {
  const raw = Array.isArray(config.history) ? (config.history as Record<string, unknown>[]) : [];
  return raw.map((h) => ({
    created: typeof h.created === 'string' ? h.created : undefined,
    createdBy: typeof h.created_by === 'string' ? h.created_by : '',
    comment: typeof h.comment === 'string' ? h.comment : undefined,
    emptyLayer: h.empty_layer === true,
  }));
}

/** The `rootfs.diff_ids` of a config. */
export function diffIdsOf(config: Record<string, unknown>): string[] {
  const rootfs = config.rootfs as { diff_ids?: unknown } | undefined;
  return Array.isArray(rootfs?.diff_ids) ? (rootfs!.diff_ids as unknown[]).map(String) : [];
}

/**
 * Maps history onto layers: entries marked `empty_layer` (ENV, LABEL, ...) have none, every other entry owns
 * the next layer. When history is short, the remaining layers have no entry.
 */
export function mapHistory(history: HistoryEntry[], layerCount: number): (HistoryEntry | undefined)[] {
  const out: (HistoryEntry | undefined)[] = [];
  for (const h of history) {
    if (h.emptyLayer) continue;
    if (out.length < layerCount) out.push(h);
  }
  while (out.length < layerCount) out.push(undefined);
  return out;
}

/** `created_by` as the Dockerfile instruction a user wrote. */
export function instructionOf(h: HistoryEntry | undefined): string {
  if (!h) return '(no history)';
  let s = h.createdBy.trim();
  if (!s) return h.comment ? `(${h.comment})` : '(no instruction recorded)';
  s = s.replace(/\s+# buildkit$/, '');
  const nop = /^\/bin\/sh -c #\(nop\)\s+(.*)$/s.exec(s);
  if (nop) return nop[1]!.trim();
  // classic builder: `|2 A=1 B=2 /bin/sh -c cmd`; BuildKit: `RUN |2 A=1 B=2 /bin/sh -c cmd`
  const run = /^(?:RUN\s+)?(?:\|\d+(?:\s+\S+=\S*)*\s+)?\/bin\/sh -c\s+(.*)$/s.exec(s);
  if (run) return `RUN ${run[1]!.trim()}`;
  return s;
}

/** Puts layer indexes, config and history together. */
export function assembleImage(
  source: ImageIndex['source'], id: string | undefined, repoTags: string[], config: Record<string, unknown>,
  layers: (LayerIndex & { mediaType?: string | undefined; compressedBytes?: number | undefined })[],
): ImageIndex {
  const history = historyOf(config);
  const mapped = mapHistory(history, layers.length);
  return {
    source, id, repoTags, config, history,
    layers: layers.map((l, index) => ({ ...l, index, history: mapped[index], instruction: instructionOf(mapped[index]) })),
  };
}
