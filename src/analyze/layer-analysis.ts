/**
 * Where an image's bytes go: applies the layers to a union tree and counts, per layer, what was added,
 * modified, deleted, copied only for metadata, and wasted (earlier copies overwritten or deleted: N-1 of N).
 */
import type { ImageIndex } from '../image/image-index.js';
import type { LayerEntry } from '../image/layer-entry.js';
import { UnionTree, type UnionObserver } from '../image/union-tree.js';

export type MetadataChange = 'mode' | 'owner' | 'xattrs';

export interface LayerReport {
  index: number;
  instruction: string;
  createdBy: string;
  created: string | undefined;
  diffId: string;
  /** Content bytes of the layer's regular files (what it adds to the image). */
  bytes: number;
  /** Uncompressed tar size. */
  tarBytes: number;
  compressedBytes: number | undefined;
  /** Entries in the layer (whiteouts included). */
  entries: number;
  files: number;
  added: number;
  modified: number;
  deleted: number;
  metadataOnly: { files: number; bytes: number; changes: Record<MetadataChange, number> };
  /** Files rewritten with the same content and metadata (only the mtime differs). */
  unchangedCopies: { files: number; bytes: number };
  /** This layer's bytes that never reach the final filesystem. */
  wastedBytes: number;
  /** Lower layers' bytes this layer overwrote or deleted. */
  wastedBytesCaused: number;
  /** This layer's bytes present in the final filesystem. */
  finalBytes: number;
}

export type PathFigure = 'wasted' | 'metadata-only' | 'deleted' | 'added' | 'modified';

export interface PathRecord {
  path: string;
  layer: number;
  bytes: number;
  detail?: string | undefined;
}

export interface LayerAnalysis {
  layers: LayerReport[];
  totalBytes: number;
  finalBytes: number;
  wastedBytes: number;
  metadataOnlyBytes: number;
  metadataOnlyFiles: number;
  /** Paths in the final filesystem. */
  finalPaths: number;
  /** Wasted bytes per path, all copies summed. */
  wastedByPath: Map<string, { bytes: number; copies: number }>;
  /** Paths behind one figure, when asked for. */
  paths: PathRecord[] | undefined;
  tree: UnionTree;
}

function xattrsEqual(a: LayerEntry['xattrs'], b: LayerEntry['xattrs']): boolean {
  const ak = Object.keys(a ?? {}).sort();
  const bk = Object.keys(b ?? {}).sort();
  if (ak.length !== bk.length) return false;
  return ak.every((k, i) => k === bk[i] && a![k]!.equals(b![k]!));
}

export function metadataChanges(before: LayerEntry, after: LayerEntry): MetadataChange[] {
  const out: MetadataChange[] = [];
  if ((before.mode & 0o7777) !== (after.mode & 0o7777)) out.push('mode');
  if (before.uid !== after.uid || before.gid !== after.gid) out.push('owner');
  if (!xattrsEqual(before.xattrs, after.xattrs)) out.push('xattrs');
  return out;
}

function describeChange(before: LayerEntry, after: LayerEntry, changes: MetadataChange[]): string {
  return changes.map((c) => c === 'mode' ? `mode ${before.mode.toString(8)}→${after.mode.toString(8)}`
    : c === 'owner' ? `owner ${before.uid}:${before.gid}→${after.uid}:${after.gid}` : 'xattrs').join(', ');
}

/** Analyses an indexed image; `pathsFor` keeps the paths behind one figure (optionally one layer). */
export function analyzeLayers(image: ImageIndex, options: { pathsFor?: PathFigure | undefined; pathsLayer?: number | undefined } = {}): LayerAnalysis {
  const layers: LayerReport[] = image.layers.map((l) => {
    let files = 0;
    let bytes = 0;
    for (const e of l.entries) {
      if (e.type === 'file') {
        files++;
        bytes += e.size;
      }
    }
    return {
      index: l.index, instruction: l.instruction, createdBy: l.history?.createdBy ?? '', created: l.history?.created,
      diffId: l.diffId, bytes, tarBytes: l.tarBytes, compressedBytes: l.compressedBytes, entries: l.entries.length, files,
      added: 0, modified: 0, deleted: 0,
      metadataOnly: { files: 0, bytes: 0, changes: { mode: 0, owner: 0, xattrs: 0 } },
      unchangedCopies: { files: 0, bytes: 0 },
      wastedBytes: 0, wastedBytesCaused: 0, finalBytes: 0,
    };
  });
  const want = options.pathsFor;
  const paths: PathRecord[] | undefined = want ? [] : undefined;
  const keep = (figure: PathFigure, layer: number, record: PathRecord) => {
    if (paths && want === figure && (options.pathsLayer === undefined || options.pathsLayer === layer)) paths.push(record);
  };
  const wastedByPath = new Map<string, { bytes: number; copies: number }>();
  let wastedBytes = 0;
  let metadataOnlyBytes = 0;
  let metadataOnlyFiles = 0;
  const observer: UnionObserver = {
    added(layer, e, _node, previous) {
      const L = layers[layer]!;
      if (e.type === 'dir' && previous?.children) {
        if (metadataChanges(previous.entry, e).length) {
          L.modified++;
          keep('modified', layer, { path: e.path, layer, bytes: 0 });
        }
        return;
      }
      if (!previous) {
        L.added++;
        keep('added', layer, { path: e.path, layer, bytes: e.size });
        return;
      }
      L.modified++;
      keep('modified', layer, { path: e.path, layer, bytes: e.size });
      const before = previous.inode?.entry;
      if (e.type === 'file' && before && before.size === e.size && before.digest !== undefined && before.digest === e.digest) {
        const changes = metadataChanges(before, e);
        if (changes.length) {
          L.metadataOnly.files++;
          L.metadataOnly.bytes += e.size;
          for (const c of changes) L.metadataOnly.changes[c]++;
          metadataOnlyBytes += e.size;
          metadataOnlyFiles++;
          keep('metadata-only', layer, { path: e.path, layer, bytes: e.size, detail: describeChange(before, e, changes) });
        } else {
          L.unchangedCopies.files++;
          L.unchangedCopies.bytes += e.size;
        }
      }
    },
    removed(layer, path, _node, reason) {
      if (reason === 'overwritten') return;
      layers[layer]!.deleted++;
      keep('deleted', layer, { path, layer, bytes: 0, detail: reason });
    },
    released(layer, path, inode, reason) {
      const size = inode.entry.size;
      wastedBytes += size;
      layers[inode.layer]!.wastedBytes += size;
      layers[layer]!.wastedBytesCaused += size;
      const w = wastedByPath.get(path) ?? { bytes: 0, copies: 0 };
      w.bytes += size;
      w.copies++;
      wastedByPath.set(path, w);
      keep('wasted', layer, { path, layer: inode.layer, bytes: size, detail: `${reason} by layer ${layer}` });
    },
  };
  const tree = new UnionTree(observer, `${image.source.kind} ${image.source.reference}`);
  for (const l of image.layers) for (const e of l.entries) tree.apply(l.index, e);
  let finalBytes = 0;
  let finalPaths = 0;
  const seen = new Set<number>();
  for (const f of tree.files()) {
    finalPaths++;
    if (f.inode === undefined || seen.has(f.inode)) continue;
    seen.add(f.inode);
    layers[f.layer]!.finalBytes += f.size;
    finalBytes += f.size;
  }
  const totalBytes = layers.reduce((s, l) => s + l.bytes, 0);
  return { layers, totalBytes, finalBytes, wastedBytes, metadataOnlyBytes, metadataOnlyFiles, finalPaths, wastedByPath, paths, tree };
}
