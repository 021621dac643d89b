/** A blank loop device (a sparse file, nothing on it) for provisioning tests; destroy() undoes mounts, partitions, the device. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExitUndo, release } from './exit-cleanup.js';
import { unmountAll } from './mounts.js';

export class BlankLoop {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-provision-'));
  readonly image = join(this.dir, 'disk.img');
  device = '';

  constructor(readonly sizeMiB = 1100) {}

  create(): this {
    onExitUndo(this, () => { this.destroy(); });
    try {
      execFileSync('truncate', ['-s', `${this.sizeMiB}M`, this.image]);
      this.device = execFileSync('losetup', ['-f', '--show', this.image], { encoding: 'utf8' }).trim();
      return this;
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** sha256 of the first and the last MiB of the device: what a refusal must leave unchanged. */
  edgeHash(): string {
    const fd = openSync(this.device, 'r');
    try {
      const mib = 1024 * 1024;
      const buf = Buffer.alloc(mib);
      const h = createHash('sha256');
      readSync(fd, buf, 0, mib, 0);
      h.update(buf);
      readSync(fd, buf, 0, mib, this.sizeMiB * mib - mib);
      h.update(buf);
      return h.digest('hex');
    } finally {
      closeSync(fd);
    }
  }

  /** Unmounts what is mounted under its directory or from the device, drops partitions, detaches, removes the directory. */
  destroy(): void {
    const stuck = unmountAll(this.dir);
    if (this.device) {
      for (const line of execFileSync('findmnt', ['-rn', '-o', 'SOURCE,TARGET'], { encoding: 'utf8' }).split('\n')) {
        const [source, target] = line.split(' ');
        if (source && target && (source === this.device || new RegExp(`^${this.device}p\\d+$`).test(source))) spawnSync('umount', [target.replace(/\\x20/g, ' ')], { stdio: 'ignore' });
      }
      spawnSync('partx', ['-d', this.device], { stdio: 'ignore' });
      const detach = spawnSync('losetup', ['-d', this.device], { encoding: 'utf8' });
      if (detach.status !== 0 && !/No such device/.test(detach.stderr)) throw new Error(`losetup -d ${this.device}: ${detach.stderr.trim()}`);
    }
    if (stuck.length) throw new Error(`still mounted: ${stuck.join(', ')}`);
    rmSync(this.dir, { recursive: true, force: true });
    release(this);
  }
}
