/**
 * The tar a volume is restored from, rewritten for the engine's extraction (`PUT /containers/{id}/archive`):
 * every name and hardlink target is put under the mount's directory and the archive is extracted at `/`.
 * Why: moby chmods a hardlink entry after its chown (which clears setuid and setgid) only when it finds the
 * link target at `hdr.Linkname` relative to its working directory, the container's root; with names relative
 * to the volume it never does, and a setuid file with a second link loses its setuid bit.
 */
import { normalizePath } from '../image/layer-entry.js';
import { readTar } from '../image/tar-reader.js';
import { pad, TAR_END, tarHeader } from '../image/tar-writer.js';

const BLOCK = 4096;
const ZEROS = Buffer.alloc(BLOCK);

/** `onFile` hears, per regular file, how many bytes of it are whole zero 4 KiB blocks (for digging holes after). */
export async function* underMount(tar: AsyncIterable<Buffer>, mountDir: string, where: string,
  onFile?: (file: { path: string; zeroBytes: number; mtime: number }) => void): AsyncGenerator<Buffer> {
  const prefix = mountDir.replace(/^\/+|\/+$/g, '');
  const under = (path: string) => (path ? `${prefix}/${path}` : prefix);
  for await (const { header, body } of readTar(tar, where)) {
    const path = normalizePath(header.name, where);
    const typeflag = header.typeflag === '7' ? '0' : header.typeflag;
    const pax: Record<string, Buffer> = {};
    for (const [k, v] of header.pax) if (k.startsWith('SCHILY.xattr.')) pax[k] = v;
    const size = typeflag === '0' ? header.size : 0;
    yield tarHeader({
      name: typeflag === '5' ? `${under(path)}/` : under(path), typeflag, mode: header.mode, uid: header.uid, gid: header.gid, size,
      mtime: Math.floor(header.mtime), linkname: typeflag === '1' ? under(normalizePath(header.linkname, where)) : header.linkname,
      uname: header.uname, gname: header.gname, devmajor: header.devmajor, devminor: header.devminor, pax,
    });
    if (size) {
      let sent = 0;
      let zeroBytes = 0;
      for await (const c of body) {
        if (onFile) {
          // blocks aligned to the file's offset that lie wholly in this chunk
          for (let at = (BLOCK - (sent % BLOCK)) % BLOCK; at + BLOCK <= c.length; at += BLOCK) {
            if (c[at] === 0 && c[at + BLOCK - 1] === 0 && ZEROS.equals(c.subarray(at, at + BLOCK))) zeroBytes += BLOCK;
          }
        }
        sent += c.length;
        yield c;
      }
      onFile?.({ path, zeroBytes, mtime: Math.floor(header.mtime) });
      if (sent !== size) throw new Error(`${where}: ${path} gave ${sent} bytes, its header says ${size}`);
      yield Buffer.alloc(pad(size));
    }
  }
  yield TAR_END;
}
