/**
 * A flatten's output into the engine. The image is loaded under a temporary tag and tagged only once it is
 * verified; whatever fails, the temporary tag goes (and the image with it, unless it was verified and
 * tagged), and so does the untagged image an import leaves, so a failure never leaves a half-loaded tag.
 * With every layer squashed, the new layer goes in as `docker import` sends one, straight into the layer
 * store (docker load would first stage the whole archive on disk); a load of the config alone then finds the
 * layer by its chain ID, so its bytes are written once. That load's request opens while the layer is still
 * being sent: the engine readies its unpacking meanwhile (70 -> 10 ms after the import, measured).
 */
import { uniqueSuffix } from '../atomic-file.js';
import { deferred } from '../deferred.js';
import type { EngineClient } from '../engine/engine-client.js';
import { loadIntoEngine } from '../image/image-writer-docker-archive.js';
import type { ImageToWrite, OutputLayer, WrittenImage } from '../image/image-writer.js';
import { measured, type LayerIndex } from '../image/layer-index.js';
import type { EarlyImport } from './early-import.js';
import { VerificationError } from './verification-error.js';

export interface EngineOutput {
  engine: EngineClient;
  /** Where the verified image goes. */
  tag: { repo: string; tag: string };
  /** The image; its last layer is the squashed one, the others are kept. */
  image: ImageToWrite;
  /** The input's diff IDs of the kept layers. */
  keptDiffIds: string[];
  /** The import started before planning, which sends the squashed layer (every layer squashed). */
  early?: EarlyImport | undefined;
  /**
   * With verification: the squashed layer as the side reader indexed and compared it on its way, once the last
   * byte has gone. The engine must then record its digest, which proves it holds exactly the verified bytes.
   */
  sent?: (() => Promise<LayerIndex>) | undefined;
  /** With verification: the size the engine must compute for the new layer (engineSizeOf its entries). */
  expectedSize?: number | undefined;
  progress: (text: string) => void;
  now: () => number;
}

/** Loads `out.image` into the engine and tags it; returns what was written and the time verification added. */
export async function writeIntoEngine(out: EngineOutput): Promise<{ written: WrittenImage; verifyMs: number }> {
  const { engine } = out;
  const temp = `${out.tag.repo}:stowage-tmp-${uniqueSuffix()}`;
  const layers = [...out.image.layers];
  const toWrite: ImageToWrite = { ...out.image, layers, repoTags: [temp] };
  let loaded = false;
  let importedId: string | undefined;
  let dropping: Promise<void> | undefined;
  const dropImage = async (id: string | undefined) => { if (id) await engine.removeImage(id).catch(() => {}); };
  try {
    let written: WrittenImage;
    if (out.keptDiffIds.length === 0) {
      // The load of the config starts now and waits for the layer: the engine gets its unpacking ready meanwhile.
      const imported = deferred();
      const loading = loadIntoEngine(engine, toWrite, imported.promise);
      loading.catch(() => undefined); // awaited below, or ended by the rejection of `imported`
      try {
        importedId = await importLayer(out, layers);
        imported.resolve();
      } catch (err) {
        imported.reject(err);
        await loading.catch(() => undefined);
        throw err;
      }
      written = await loading;
    } else {
      written = await loadIntoEngine(engine, toWrite);
    }
    loaded = true;
    // The import's own image (engine default config, no tag) goes now, while the loaded image is checked:
    // the loaded image holds its layer.
    dropping = dropImage(importedId);
    const verifyMs = out.sent ? await checkRecorded(out, temp, written.id) : 0;
    await engine.tagImage(temp, out.tag.repo, out.tag.tag);
    return { written, verifyMs };
  } finally {
    // The temporary tag goes whatever happened; the image goes with it unless it was verified and tagged.
    // The import's own image goes too (already on its way once the load is done).
    await Promise.all([
      (loaded ? Promise.resolve(true) : engine.inspectImage(temp).then(() => true, () => false)).then(async (tagged) => { if (tagged) await engine.removeImage(temp); }).catch(() => {}),
      dropping ?? dropImage(importedId),
    ]);
  }
}

/**
 * Sends the squashed layer as `docker import` does (or waits for the fast path's upload), checks that the
 * engine recorded the digest of the bytes sent, and leaves the layer out of the load that follows (`layers`'
 * last); returns the ID of the import's own image.
 */
async function importLayer(out: EngineOutput, layers: OutputLayer[]): Promise<string> {
  const { engine } = out;
  let diffId = '';
  let importedId: string;
  if (out.early) {
    importedId = await out.early.imported;
  } else {
    out.progress('importing the squashed layer into the engine');
    const stream = layers[layers.length - 1]!.open();
    importedId = await engine.importImage(out.sent ? stream : measured(stream, (_b, d) => { diffId = d; }));
  }
  try {
    // verified, the layer's digest comes from the reader that verified it
    if (out.sent) diffId = (await out.sent()).diffId;
    else if (out.early) diffId = out.early.digest();
    const imported = await engine.inspectImage(importedId);
    if (imported.layers.length !== 1 || imported.layers[0] !== diffId) {
      throw new VerificationError(`verification failed: the engine recorded layers ${imported.layers.join(', ')} where ${diffId} was sent`, []);
    }
  } catch (err) {
    await engine.removeImage(importedId).catch(() => {});
    throw err;
  }
  // left out of the load, which finds it by its chain ID: only its diff ID is read (not its size, which the
  // fast path never computed: it counted the bytes as they went)
  const { compression, open } = layers[layers.length - 1]!;
  layers[layers.length - 1] = { diffId, size: 0, compression, open, omit: true };
  return importedId;
}

/**
 * The engine's record of the loaded image: the image ID must be the config's, its layers the input's kept
 * diff IDs and the digest of the verified bytes, and the size it computed for the new layer the bytes of its
 * files and symlinks (see layer-sizes.ts). Returns the time it took, the sent layer's included.
 */
async function checkRecorded(out: EngineOutput, name: string, id: string): Promise<number> {
  const t = out.now();
  const layer = await out.sent!();
  out.progress('verifying: the diff IDs the engine recorded');
  const detail = await out.engine.inspectImage(name);
  if (detail.id !== id) throw new VerificationError(`verification failed: ${name} is ${detail.id} in the engine, ${id} was loaded`, []);
  const want = [...out.keptDiffIds, layer.diffId];
  if (detail.layers.length !== want.length || detail.layers.some((d, i) => d !== want[i])) {
    throw new VerificationError(`verification failed: the engine recorded layers ${detail.layers.join(', ')} where ${want.join(', ')} were sent and verified`, []);
  }
  if (out.expectedSize !== undefined) {
    // the newest history entry is the flatten's own, which owns the new layer (rewriteConfig)
    const size = (await out.engine.imageHistory(name))[0]?.size;
    if (size !== out.expectedSize) {
      throw new VerificationError(`verification failed: the engine sized the new layer at ${size ?? 'nothing'} bytes when it unpacked it, ${out.expectedSize} were written`, []);
    }
  }
  return out.now() - t;
}
