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

export async function* underMount(tar: AsyncIterable<Buffer>, mountDir: string, where: string): AsyncGenerator<Buffer> {
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
      for await (const c of body) {
        sent += c.length;
        yield c;
      }
      if (sent !== size) throw new Error(`${where}: ${path} gave ${sent} bytes, its header says ${size}`);
      yield Buffer.alloc(pad(size));
    }
  }
  yield TAR_END;
}
