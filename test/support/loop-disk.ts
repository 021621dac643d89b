/** A real, small disk for tests: a file, a loop device, a filesystem, a mount; and blkio throttling on it. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export class LoopDisk {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-loop-'));
  readonly image = join(this.dir, 'disk.img');
  readonly mountPoint = join(this.dir, 'mnt');
  device = '';

  constructor(readonly sizeMiB = 512, readonly fsType: 'ext4' | 'xfs' = 'ext4', readonly mkfsOptions: string[] = []) {}

  /** Makes the disk; on any failure undoes what it did, so a test's setup never leaks a loop device. */
  create(): this {
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

  destroy(): void {
    if (existsSync(this.mountPoint)) {
      try { execFileSync('umount', ['-l', this.mountPoint]); } catch { /* not mounted */ }
    }
    if (this.device) {
      try { execFileSync('losetup', ['-d', this.device]); } catch { /* already detached */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A cgroup v1 blkio group with write limits on one device; processes join it by pid. */
export class BlkioThrottle {
  readonly path = join('/sys/fs/cgroup/blkio', `stowage-test-${randomBytes(3).toString('hex')}`);

  constructor(readonly majorMinor: string, readonly writeIops: number, readonly writeBps?: number) {}

  create(): this {
    mkdirSync(this.path);
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

  destroy(): void {
    removeCgroup(this.path);
  }
}

/** Removes a cgroup v1 directory and the groups dockerd made inside it, deepest first. */
export function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(join(path, entry.name));
  }
  // a group can only go once its processes have left; they have exited by the time tests call this
  try { rmdirSync(path); } catch { /* still busy */ }
}
