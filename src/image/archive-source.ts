/**
 * Images packed in one tar stream: `docker save` output (docker-archive, plain or gzip), an OCI archive, or
 * the engine's `/images/{name}/get` stream. The stream is read once: small JSON members are kept, every other
 * member is indexed as a layer as it passes (the manifest may come last), then the manifest puts them in order.
 */
import { createReadStream } from 'node:fs';
import { BadInputError, StowageError, TruncatedInputError } from '../errors.js';
import { decompress } from './decompress.js';
import type { ImageIndex, SourceKind } from './image-index.js';
import { indexLayer, readLayerEntries, type LayerIndex } from './layer-index.js';
import type { StreamedEntry } from './layer-entry.js';
import { memberPath, resolveDockerArchive, resolveOciLayout, type ArchiveStore, type Platform } from './manifest-resolve.js';
import { peek } from './decompress.js';
import { readTar } from './tar-reader.js';

const JSON_LIMIT = 16 * 1024 * 1024;

export interface ArchiveOptions {
  platform?: Platform | undefined;
  /** For a docker-archive holding several images, the RepoTag to pick. */
  tag?: string | undefined;
}

/** Indexes an image archive from a byte stream; `kind` is what to call it when it is a docker-archive. */
export async function indexImageStream(source: AsyncIterable<Buffer>, reference: string, where: string, kind: SourceKind, options: ArchiveOptions & { file?: string } = {}): Promise<ImageIndex> {
  const { stream, compression } = await decompress(source, where);
  const file = compression === 'none' ? options.file : undefined;
  const small = new Map<string, Buffer>();
  const layers = new Map<string, LayerIndex | StowageError>();
  const links = new Map<string, string>();
  for await (const { header, body } of readTar(stream, where)) {
    let name: string;
    try {
      name = memberPath(header.name, where, 'archive member');
    } catch {
      throw new BadInputError(`${where}: member "${header.name}" at byte ${header.offset} escapes the archive`);
    }
    if (header.typeflag === '2' || header.typeflag === '1') {
      // docker save links duplicate layers to the first copy
      const target = header.typeflag === '2' ? joinRelative(name, header.linkname) : header.linkname;
      links.set(name, memberPath(target, where, `link "${name}"`));
      continue;
    }
    if (header.typeflag !== '0' && header.typeflag !== '7') continue;
    try {
      await readMember(name, header.size, body, where, small, layers, file ? { file, offset: header.offset + 512 } : undefined);
    } catch (err) {
      // The archive itself ended or broke inside this member: say which member it was.
      if (err instanceof TruncatedInputError && err.input === where) {
        throw new BadInputError(`${err.message}, inside "${name}" (member starting at byte ${header.offset})`, undefined, { cause: err });
      }
      throw err;
    }
  }
  const resolve = (path: string): string => {
    let p = path;
    for (let i = 0; i < 16 && links.has(p); i++) p = links.get(p)!;
    return p;
  };
  const store: ArchiveStore = {
    where,
    bytes: async (path) => small.get(resolve(path)),
    layer: async (path) => {
      const found = layers.get(resolve(path));
      if (found instanceof StowageError) throw found;
      // A small layer whose first bytes looked like JSON (a first file named `{...`) was kept as bytes.
      const kept = found ? undefined : small.get(resolve(path));
      if (kept) return indexLayer((async function* () { yield kept; })(), `${where}: layer ${resolve(path)}`);
      return found;
    },
  };
  const manifest = small.get('manifest.json');
  if (manifest) return resolveDockerArchive(store, { kind, reference }, manifest, options.tag);
  const index = small.get('index.json');
  if (index) return resolveOciLayout(store, { kind: kind === 'docker-archive' ? 'oci-archive' : kind, reference }, index, options.platform);
  throw new BadInputError(`${where}: neither manifest.json nor index.json found: not a docker-archive or OCI archive`);
}

async function readMember(name: string, size: number, body: AsyncIterable<Buffer>, where: string, small: Map<string, Buffer>, layers: Map<string, LayerIndex | StowageError>, onDisk: { file: string; offset: number } | undefined): Promise<void> {
  const { first, all } = await peek(body);
  const looksJson = first !== undefined && (first[0] === 0x7b || first[0] === 0x5b) && size <= JSON_LIMIT;
  const metadataName = name === 'manifest.json' || name === 'index.json' || name === 'repositories' || name === 'oci-layout';
  if (looksJson || metadataName || (size <= 4096 && !name.startsWith('blobs/') && !name.endsWith('layer.tar'))) {
    if (size > JSON_LIMIT) throw new BadInputError(`${where}: "${name}" is ${size} bytes, too large for image metadata`);
    const parts: Buffer[] = [];
    for await (const c of all) parts.push(c);
    small.set(name, Buffer.concat(parts));
    return;
  }
  try {
    layers.set(name, await indexLayer(all, `${where}: layer ${name}`, { onDisk }));
  } catch (err) {
    if (!(err instanceof StowageError) || (err instanceof TruncatedInputError && err.input === where)) throw err;
    // Only an error if the manifest turns out to use this member; drain it so the outer stream goes on.
    layers.set(name, err);
    for await (const _ of all) void _;
  }
}

function joinRelative(from: string, target: string): string {
  if (target.startsWith('/')) return target;
  const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '';
  return dir ? `${dir}/${target}` : target;
}

/** A docker-archive or OCI archive file on disk. */
export async function indexArchiveFile(path: string, options: ArchiveOptions = {}): Promise<ImageIndex> {
  const where = `archive ${path}`;
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  try {
    return await indexImageStream(stream as AsyncIterable<Buffer>, path, where, 'docker-archive', { ...options, file: path });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(err instanceof StowageError) && typeof code === 'string') throw new BadInputError(`cannot read ${path}: ${code}`, undefined, { cause: err });
    throw err;
  } finally {
    stream.destroy();
  }
}

/**
 * A second pass for writers over an image stream whose files have no ContentRef (gzip archives, the engine's
 * export stream): calls `visit` for each member that is not image metadata, in stream order, with its entries
 * and their bodies. Map members to layers with the ImageIndex from the first pass (same member names).
 */
export async function forEachLayerMember(
  source: AsyncIterable<Buffer>, where: string,
  visit: (member: string, entries: AsyncGenerator<StreamedEntry>) => Promise<void>,
): Promise<void> {
  const { stream } = await decompress(source, where);
  for await (const { header, body } of readTar(stream, where)) {
    if (header.typeflag !== '0' && header.typeflag !== '7') continue;
    const name = memberPath(header.name, where, 'archive member');
    const { first, all } = await peek(body);
    if (first === undefined || first[0] === 0x7b || first[0] === 0x5b || name === 'repositories' || name === 'oci-layout' || name.endsWith('/VERSION')) continue;
    await visit(name, readLayerEntries(all, `${where}: layer ${name}`));
  }
}
