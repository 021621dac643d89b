/**
 * A data-root-like tree for bench/provision: many small files (layer contents), hardlinked pairs (overlay2's
 * layers share them), xattrs (overlay's opaque markers), and a few large sparse files (a container's log, a
 * database volume) with data at spaced extents. Written with plain fs calls; returns what it wrote.
 */
import { closeSync, linkSync, mkdirSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface TreeShape { smallFiles: number; smallBytes: number; largeFiles: number; largeApparentBytes: number; largeDataBytes: number }

export function writeDataRootTree(root: string, shape: TreeShape): { files: number; dataBytes: number } {
  const chunk = randomBytes(1 << 20);
  let files = 0;
  let dataBytes = 0;
  const perDir = 500;
  for (let i = 0; i < shape.smallFiles; i++) {
    const dir = join(root, 'overlay2', `l${Math.floor(i / perDir)}`, 'diff', 'usr', 'lib');
    if (i % perDir === 0) mkdirSync(dir, { recursive: true });
    const size = Math.max(1, Math.floor(shape.smallBytes * (0.25 + ((i * 7919) % 100) / 66)));
    const fd = openSync(join(dir, `f${i}`), 'w');
    writeSync(fd, chunk, (i * 4099) % ((1 << 20) - size), size);
    closeSync(fd);
    files++;
    dataBytes += size;
    if (i % 50 === 0) { linkSync(join(dir, `f${i}`), join(dir, `h${i}`)); files++; }
  }
  // overlay's opaque-directory marker on a few directories (trusted.* as overlay2 writes it)
  for (let d = 0; d < Math.min(20, Math.ceil(shape.smallFiles / perDir)); d++) {
    spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(root, 'overlay2', `l${d}`, 'diff', 'usr')]);
  }
  mkdirSync(join(root, 'volumes', 'db', '_data'), { recursive: true });
  for (let j = 0; j < shape.largeFiles; j++) {
    const fd = openSync(join(root, 'volumes', 'db', '_data', `big${j}.dat`), 'w');
    ftruncateSync(fd, shape.largeApparentBytes);
    const extents = Math.ceil(shape.largeDataBytes / chunk.length);
    const stride = Math.floor(shape.largeApparentBytes / extents);
    for (let e = 0; e < extents; e++) writeSync(fd, chunk, 0, chunk.length, e * stride);
    closeSync(fd);
    files++;
    dataBytes += extents * chunk.length;
  }
  return { files, dataBytes };
}
