/**
 * A layer's tar stream rebuilt byte for byte from the engine's own data-root, as `docker save` builds it but
 * without the temporary directory save writes everything to first: the layer store keeps, per chain ID, the
 * tar's headers and padding (layerdb/sha256/CHAIN/tar-split.json.gz, vbatts/tar-split's JSON lines: type 1 a
 * file entry by name and size, type 2 raw bytes in base64) and the overlay2 directory holding the files'
 * contents (cache-id -> overlay2/ID/diff). The bytes hash to the layer's diff ID exactly when the engine's
 * copy is intact; the target engine checks that on load. Like layer-store.ts, this is the engine's private
 * on-disk format, so it stays here behind engine/.
 */
import { createReadStream } from 'node:fs';
import { access, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

interface SplitEntry {
  type: number;
  name?: string;
  name_raw?: string;
  size?: number;
  payload?: string;
}

const layerDir = (dataRoot: string, chainId: string) => join(dataRoot, 'image', 'overlay2', 'layerdb', 'sha256', chainId.replace(/^sha256:/, ''));

/** Whether the layer store of an overlay2 engine at `dataRoot` can be read from here (same host, enough rights). */
export async function tarSplitReadable(dataRoot: string): Promise<boolean> {
  try {
    await access(join(dataRoot, 'image', 'overlay2', 'layerdb', 'sha256'));
    return true;
  } catch {
    return false;
  }
}

async function* splitEntries(dataRoot: string, chainId: string): AsyncGenerator<SplitEntry> {
  const input = createReadStream(join(layerDir(dataRoot, chainId), 'tar-split.json.gz')).pipe(createGunzip());
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line) yield JSON.parse(line) as SplitEntry;
  }
}

/** The layer's tar: its size (read from the tar-split metadata) and its bytes; undefined when the engine has no tar-split for it. */
export async function layerTarFromStore(dataRoot: string, chainId: string): Promise<{ size: number; body: () => AsyncGenerator<Buffer> } | undefined> {
  let cacheId: string;
  try {
    cacheId = (await readFile(join(layerDir(dataRoot, chainId), 'cache-id'), 'utf8')).trim();
    await access(join(layerDir(dataRoot, chainId), 'tar-split.json.gz'));
  } catch {
    return undefined;
  }
  const diff = join(dataRoot, 'overlay2', cacheId, 'diff');
  let size = 0;
  for await (const e of splitEntries(dataRoot, chainId)) {
    if (e.type === 2) size += Buffer.byteLength(e.payload ?? '', 'base64');
    else size += e.size ?? 0;
  }
  return { size, body: () => assemble(dataRoot, chainId, diff) };
}

const BATCH = 1024 * 1024;

async function* assemble(dataRoot: string, chainId: string, diff: string): AsyncGenerator<Buffer> {
  // small headers and files are gathered into chunks of about 1 MiB: one yield per entry costs more than the copy
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = function* () {
    if (pendingBytes) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
  };
  for await (const e of splitEntries(dataRoot, chainId)) {
    if (e.type === 2) {
      const b = Buffer.from(e.payload ?? '', 'base64');
      pending.push(b);
      pendingBytes += b.length;
    } else if (e.size) {
      const name = e.name_raw ? Buffer.from(e.name_raw, 'base64').toString('latin1') : e.name ?? '';
      const handle = await open(join(diff, name), 'r');
      try {
        let left = e.size;
        while (left > 0) {
          const chunk = Buffer.allocUnsafe(Math.min(left, BATCH));
          const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
          if (!bytesRead) throw new Error(`${join(diff, name)} is shorter than the layer's tar says (${e.size} bytes)`);
          left -= bytesRead;
          pending.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
          pendingBytes += bytesRead;
          if (pendingBytes >= BATCH) yield* flush();
        }
      } finally {
        await handle.close();
      }
    }
    if (pendingBytes >= BATCH) yield* flush();
  }
  yield* flush();
}
