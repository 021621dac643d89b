/**
 * Slacker's figure: of an image's bytes, how many a container read before it was ready. The files come from
 * a fanotify trace (host/file-access-trace.ts) of the image's layer directories during one start; each file
 * counts once, with its whole size (an upper bound on the bytes read: fatrace reports opens and reads, not
 * offsets). The denominator is the image's size as the engine reports it (`docker image inspect`'s Size,
 * the sum of its layers' file sizes).
 */
import type { FileAccess } from '../../host/file-access-trace.js';

export interface ReadFile {
  /** Path inside the image. */
  path: string;
  bytes: number;
}

export interface BytesRead {
  method: 'fatrace';
  /** Distinct regular files of the image that were opened or read until ready. */
  files: number;
  bytes: number;
  imageBytes: number;
  /** bytes / imageBytes. */
  share: number;
  /** The largest files read, at most 20. */
  largest: ReadFile[];
}

/** The image's layer directories from its overlay2 GraphDriver data: the top layer (UpperDir) first. */
export function overlayLayerDirs(data: Record<string, string>): string[] {
  const lower = data.LowerDir ? data.LowerDir.split(':').filter(Boolean) : [];
  return [...(data.UpperDir ? [data.UpperDir] : []), ...lower];
}

/**
 * Maps traced paths to files of the image: a path inside one of `layerDirs` is that layer's file (overlayfs
 * opened the copy that wins in the union); `sizeOf` gives its size, undefined for what is not a regular file.
 */
export function bytesRead(events: readonly FileAccess[], layerDirs: readonly string[], imageBytes: number,
  sizeOf: (hostPath: string) => number | undefined): BytesRead {
  const seen = new Map<string, ReadFile>();
  for (const e of events) {
    if (seen.has(e.path)) continue;
    const dir = layerDirs.find((d) => e.path.startsWith(`${d}/`));
    if (!dir) continue;
    const bytes = sizeOf(e.path);
    if (bytes === undefined) continue;
    seen.set(e.path, { path: e.path.slice(dir.length), bytes });
  }
  const files = [...seen.values()];
  const bytes = files.reduce((a, f) => a + f.bytes, 0);
  return {
    method: 'fatrace',
    files: files.length,
    bytes,
    imageBytes,
    share: imageBytes > 0 ? bytes / imageBytes : 0,
    largest: [...files].sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path)).slice(0, 20),
  };
}
