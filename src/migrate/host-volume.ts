/**
 * What the engine's archive API loses of a volume, made good when the volume's directory is on this host
 * (a local engine, the `local` volume driver): the API reads only the security.capability xattr, so the
 * others are read from the directory with getfattr and added to the stream as PAX SCHILY.xattr records, which
 * the engine's extraction applies; and it writes sparse files out in full, so the runs of zeros are dug back
 * into holes after the extraction.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineClient } from '../engine/engine-client.js';
import { digHoles } from '../host/dig-holes.js';
import { readTreesXattrs, type TreeXattrs } from '../host/xattrs.js';
import { normalizePath } from '../image/layer-entry.js';
import { readTar } from '../image/tar-reader.js';
import { pad, TAR_END, tarHeader } from '../image/tar-writer.js';

/** The volume's directory when this host can reach it; undefined for a remote engine or another driver. */
export async function localMountpoint(engine: EngineClient, name: string): Promise<string | undefined> {
  if (engine.endpoint.transport.kind !== 'unix') return undefined;
  const d = await engine.inspectVolume(name);
  if (d.driver !== 'local' || !d.mountpoint) return undefined;
  try {
    await access(d.mountpoint);
    return d.mountpoint;
  } catch {
    return undefined;
  }
}

/** Attributes the engine sets or that belong to the host, not to the volume's content. */
const SKIPPED = /^security\.selinux$/;

/** `tar` (the archive API's read of the volume at `mountpoint`) with every file's xattrs as PAX records. */
export async function* withHostXattrs(tar: AsyncIterable<Buffer>, mountpoint: string, where: string): AsyncGenerator<Buffer> {
  const attrs: TreeXattrs = (await readTreesXattrs([mountpoint]))?.[0] ?? new Map();
  for await (const { header, body } of readTar(tar, where)) {
    const path = normalizePath(header.name, where);
    const typeflag = header.typeflag === '7' ? '0' : header.typeflag;
    const pax: Record<string, Buffer> = {};
    for (const [k, v] of header.pax) if (k.startsWith('SCHILY.xattr.')) pax[k] = v;
    for (const [k, v] of Object.entries(attrs.get(path) ?? {})) if (!SKIPPED.test(k)) pax[`SCHILY.xattr.${k}`] = v;
    const size = typeflag === '0' ? header.size : 0;
    yield tarHeader({
      name: typeflag === '5' && path ? `${path}/` : path || './', typeflag, mode: header.mode, uid: header.uid, gid: header.gid, size,
      mtime: Math.floor(header.mtime), linkname: typeflag === '1' ? normalizePath(header.linkname, where) : header.linkname,
      uname: header.uname, gname: header.gname, devmajor: header.devmajor, devminor: header.devminor, pax,
    });
    if (size) {
      for await (const c of body) yield c;
      yield Buffer.alloc(pad(size));
    }
  }
  yield TAR_END;
}

/** A file of the restored volume with this many bytes of whole zero blocks (candidates for holes). */
export interface ZeroRuns {
  path: string;
  zeroBytes: number;
  mtime: number;
}

/** Files with at least this many zero bytes in whole 4 KiB blocks are made sparse again. */
export const SPARSE_MIN_BYTES = 1024 * 1024;

/** Digs holes in the files of `mountpoint` that arrived with runs of zeros. */
export async function restoreHoles(mountpoint: string, files: ZeroRuns[]): Promise<number> {
  let n = 0;
  for (const f of files) {
    if (f.zeroBytes < SPARSE_MIN_BYTES) continue;
    await digHoles(join(mountpoint, f.path), f.mtime);
    n++;
  }
  return n;
}
