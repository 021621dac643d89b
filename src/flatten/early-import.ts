/**
 * The fast path of the default flatten (every layer of a local overlay2 image into one, into the engine):
 * the upload starts before the layers are indexed. mergedOverlayEntries walks the layer directories the way
 * overlayfs merges them and yields the squashed layer's entries in the squash's own order, so the engine
 * extracts the layer while stowage indexes the layers for the plan, the figures and verification. That
 * verification compares the bytes sent with the union built from the index: two walks, each with its own rules,
 * must agree. They share the kernel's answers (`reads`), so each readdir and lstat is made once.
 */
import type { EngineClient } from '../engine/engine-client.js';
import type { TreeXattrs } from '../host/xattrs.js';
import { openContent } from '../image/content-ref.js';
import type { LayerDirReads } from '../image/layer-dir-reads.js';
import { displayPath, type LayerEntry } from '../image/layer-entry.js';
import { measured } from '../image/layer-index.js';
import { mergedOverlayEntries } from '../image/overlay2-merge.js';
import { squashedStream, type SquashedStream, type SquashedStreamOptions } from './squashed-stream.js';

export interface EarlyImport {
  squashed: SquashedStream;
  /** The image the import creates (engine default config, no tag), once the engine has registered the layer. */
  imported: Promise<string>;
  /** sha256 of the bytes sent, once they are all sent, when there is no check (which has it as `sent`). */
  digest(): string;
  /** Bytes of the layer sent so far (all of them once `imported` has settled). */
  bytes(): number;
  /** Ends the upload with an error, so that the engine drops the partial layer (the flatten failed meanwhile). */
  cancel(): void;
}

/**
 * Starts importing the merged layer directories `dirs` (bottom first) as one layer. The request goes out at
 * once, so that the engine gets ready while getfattr still reads `xattrs`; the first byte follows them.
 */
export function startEarlyImport(engine: EngineClient, dirs: string[], xattrs: Promise<TreeXattrs[] | undefined>, reads: LayerDirReads,
  options: Omit<SquashedStreamOptions, 'read' | 'source'>): EarlyImport {
  let cancelled = false;
  let digest = '';
  let bytes = 0;
  // The comparison of the layer as sent (options.check, ~60 ms of the main thread for this tar's 6,810 files)
  // waits until the last bytes are handed to the operating system: run at once, it held back the upload's end,
  // and the engine waited for it before finishing the layer. Now the engine finishes while stowage compares.
  let sent!: () => void;
  const allSent = new Promise<void>((resolve) => { sent = resolve; });
  const check = options.check;
  async function* entries(): AsyncGenerator<LayerEntry> {
    const attrs = await xattrs;
    if (!attrs) throw new Error('internal: getfattr went missing');
    yield* mergedOverlayEntries(dirs, attrs, reads);
  }
  const squashed = squashedStream(entries(), {
    ...options,
    check: check && (async (layer) => {
      await allSent;
      await check(layer);
    }),
    read: (e) => {
      const body = openContent(e);
      if (!body) throw new Error(`internal: ${displayPath(e.path)} has no content ref`);
      return body;
    },
  });
  async function* body(): AsyncGenerator<Buffer> {
    for await (const c of squashed.stream) {
      if (cancelled) throw new Error('the flatten failed before the upload ended');
      bytes += c.length;
      yield c;
    }
  }
  // Verified, the side reader hashes the bytes sent; unverified, they are hashed here for the diff ID.
  const imported = engine.importImage(options.check ? body() : measured(body(), (_b, d) => { digest = d; }), { onSent: sent });
  imported.catch(() => undefined); // awaited by the flatten, or discarded when it failed first
  // an upload that broke before its end never calls onSent: the comparison is not left waiting
  imported.finally(sent).catch(() => undefined);
  return { squashed, imported, digest: () => digest, bytes: () => bytes, cancel: () => { cancelled = true; } };
}
