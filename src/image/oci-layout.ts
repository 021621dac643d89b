/** An OCI image layout directory: index.json, oci-layout and blobs/ALG/HEX, read in place. */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import type { ImageIndex } from './image-index.js';
import { indexLayer, type LayerIndex } from './layer-index.js';
import { resolveOciLayout, type ArchiveStore, type Platform } from './manifest-resolve.js';

export async function indexOciLayout(dir: string, options: { platform?: Platform | undefined } = {}): Promise<ImageIndex> {
  const where = `OCI layout ${dir}`;
  const cache = new Map<string, Promise<LayerIndex | undefined>>();
  const store: ArchiveStore = {
    where,
    bytes: async (path) => {
      try {
        const s = await stat(join(dir, path));
        if (!s.isFile()) return undefined;
        if (s.size > 16 * 1024 * 1024) throw new BadInputError(`${where}: "${path}" is too large for a JSON document`);
        return await readFile(join(dir, path));
      } catch (err) {
        if (err instanceof BadInputError) throw err;
        return undefined;
      }
    },
    layer: (path) => {
      let p = cache.get(path);
      if (!p) {
        p = (async () => {
          try {
            if (!(await stat(join(dir, path))).isFile()) return undefined;
          } catch {
            return undefined;
          }
          const stream = createReadStream(join(dir, path), { highWaterMark: 1024 * 1024 });
          try {
            return await indexLayer(stream as AsyncIterable<Buffer>, `${where}: layer ${path}`, { onDisk: { file: join(dir, path), offset: 0 } });
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (!(err instanceof BadInputError) && typeof code === 'string') throw new BadInputError(`${where}: cannot read ${path}: ${code}`, undefined, { cause: err });
            throw err;
          } finally {
            stream.destroy();
          }
        })();
        cache.set(path, p);
      }
      return p;
    },
  };
  const index = await store.bytes('index.json');
  if (!index) throw new BadInputError(`${where}: no index.json: not an OCI image layout`);
  return resolveOciLayout(store, { kind: 'oci-layout', reference: dir }, index, options.platform);
}
