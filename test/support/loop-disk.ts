/** A real, small disk for tests: a file, a loop device, a filesystem, a mount; and blkio throttling on it. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { onExitUndo, release, sleepSync } from './exit-cleanup.js';
import { mountsUnder } from './mounts.js';

/** Retries `step` until it returns true or `ms` pass; returns its last answer. */
function retry(ms: number, step: () => boolean): boolean {
  const deadline = Date.now() + ms;
  for (;;) {
    if (step()) return true;
    if (Date.now() >= deadline) return false;
    sleepSync(100);
  }
}

export class LoopDisk {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-loop-'));
  readonly image = join(this.dir, 'disk.img');
  readonly mountPoint = join(this.dir, 'mnt');
  device = '';

  constructor(readonly sizeMiB = 512, readonly fsType: 'ext4' | 'xfs' = 'ext4', readonly mkfsOptions: string[] = []) {}

  /** Makes the disk; on any failure undoes what it did, so a test's setup never leaks a loop device. */
  create(): this {
    // a test that fails or times out before destroy(), or a killed test process, still detaches it
    onExitUndo(this, () => { this.destroy(); });
    try {
      execFileSync('truncate', ['-s', `${this.sizeMiB}M`, this.image]);
      this.device = execFileSync('losetup', ['-f', '--show', this.image], { encoding: 'utf8' }).trim();
      execFileSync(`mkfs.${this.fsType}`, [...(this.fsType === 'ext4' ? ['-q'] : ['-q', '-f']), ...this.mkfsOptions, this.device]);
      mkdirSync(this.mountPoint);
      execFileSync('mount', [this.device, this.mountPoint]);
      return this;
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** `major:minor` of the loop device, as blkio and /sys/dev/block name it. */
  get majorMinor(): string {
    const name = this.device.replace('/dev/', '');
    return readFileSync(`/sys/class/block/${name}/dev`, 'utf8').trim();
  }

  /** Whether the loop device still has a backing file (the kernel detaches a busy device only once freed). */
  private attached(): boolean {
    return Boolean(this.device) && existsSync(`/sys/class/block/${this.device.replace('/dev/', '')}/loop/backing_file`)
      && readFileSync(`/sys/class/block/${this.device.replace('/dev/', '')}/loop/backing_file`, 'utf8').trim() === this.image;
  }

  /**
   * Unmounts (waiting while the mount is busy, e.g. a process of a test still exiting), detaches the
   * device, waits until the kernel has let it go, removes the directory; throws naming what stayed.
   */
  destroy(): void {
    const problems: string[] = [];
    const unmounted = retry(10_000, () => {
      for (const m of mountsUnder(this.mountPoint)) spawnSync('umount', [m], { stdio: 'ignore' });
      return mountsUnder(this.mountPoint).length === 0;
    });
    if (!unmounted) {
      const busy = spawnSync('umount', [this.mountPoint], { encoding: 'utf8' }).stderr.trim();
      problems.push(`${this.mountPoint} stays mounted: ${busy}`);
    }
    if (unmounted && this.attached()) {
      const detach = spawnSync('losetup', ['-d', this.device], { encoding: 'utf8' });
      if (detach.status !== 0) problems.push(`losetup -d ${this.device}: ${detach.stderr.trim()}`);
      else if (!retry(10_000, () => !this.attached())) problems.push(`${this.device} still holds ${this.image} after losetup -d`);
    }
    if (!problems.length) {
      rmSync(this.dir, { recursive: true, force: true });
      release(this);
      return;
    }
    throw new Error(`loop disk ${this.device || this.image} left: ${problems.join('; ')}`);
  }
}

/** A cgroup v1 blkio group with write limits on one device; processes join it by pid. */
export class BlkioThrottle {
  readonly path = join('/sys/fs/cgroup/blkio', `stowage-test-${randomBytes(3).toString('hex')}`);

  constructor(readonly majorMinor: string, readonly writeIops: number, readonly writeBps?: number) {}

  create(): this {
    mkdirSync(this.path);
    onExitUndo(this, () => { this.destroy(); });
    try {
      writeFileSync(join(this.path, 'blkio.throttle.write_iops_device'), `${this.majorMinor} ${this.writeIops}`);
      if (this.writeBps) writeFileSync(join(this.path, 'blkio.throttle.write_bps_device'), `${this.majorMinor} ${this.writeBps}`);
      return this;
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** A shell prefix that moves the shell into the group, then execs the command. */
  wrap(command: string[]): string[] {
    const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return ['sh', '-c', `echo $$ > ${this.path}/cgroup.procs && exec ${quoted}`];
  }

  /** Removes the group (waiting for its processes to leave); throws when it stays. */
  destroy(): void {
    if (!retry(5_000, () => removeCgroup(this.path))) throw new Error(`cgroup ${this.path} stays: processes ${readFileSync(join(this.path, 'cgroup.procs'), 'utf8').trim().split('\n').join(', ')} are in it`);
    release(this);
  }
}

/** Removes a cgroup v1 directory and the groups dockerd made inside it, deepest first; false while busy. */
export function removeCgroup(path: string): boolean {
  if (!existsSync(path)) return true;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(join(path, entry.name));
  }
  try { rmdirSync(path); return true; } catch { return false; }
}
