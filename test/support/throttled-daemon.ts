/**
 * A private dockerd whose data-root is an ext4 on a loop device, inside a cgroup v1 blkio group that a test
 * can throttle part-way through: the daemon's writes (layers, container config, fsyncs) go through the group.
 * cgroup v1 blkio limits are not inherited by child groups on this kernel, so containers started under
 * `--cgroup-parent /GROUP` feel the limit through the daemon and the filesystem journal they share with it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectEngine } from '../../src/engine/dockerode-engine.js';
import type { EngineClient } from '../../src/engine/engine-client.js';
import { ensureBusybox, uniqueName } from './docker-cli.js';
import { LoopDisk, removeCgroup } from './loop-disk.js';
import { PrivateDaemon } from './private-daemon.js';

const BLKIO = '/sys/fs/cgroup/blkio';

export interface ThrottledDaemon {
  disk: LoopDisk;
  engine: EngineClient;
  /** The busybox image, on the private daemon. */
  image: string;
  /** The blkio group's name, for `cgroupParent: '/' + group`. */
  group: string;
  /** Limits writes to the loop device to `iops`. */
  throttle(iops: number): void;
}

/** Runs `work` against a fresh throttleable daemon and removes the daemon, the disk and the group after. */
export async function withThrottledDaemon(prefix: string, work: (d: ThrottledDaemon) => Promise<void>): Promise<void> {
  const disk = new LoopDisk(512).create();
  const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'docker') });
  const group = uniqueName(prefix);
  const groupPath = join(BLKIO, group);
  let dockerdPid: string | undefined;
  try {
    mkdirSync(groupPath);
    await daemon.start();
    const image = await ensureBusybox(daemon.env);
    dockerdPid = readFileSync(join(daemon.dir, 'dockerd.pid'), 'utf8').trim();
    writeFileSync(join(groupPath, 'cgroup.procs'), dockerdPid);
    const engine = await connectEngine({ host: daemon.host });
    await work({
      disk, engine, image, group,
      throttle: (iops) => writeFileSync(join(groupPath, 'blkio.throttle.write_iops_device'), `${disk.majorMinor} ${iops}`),
    });
  } finally {
    if (dockerdPid) {
      try { writeFileSync(join(BLKIO, 'cgroup.procs'), dockerdPid); } catch { /* daemon gone */ }
    }
    await daemon.destroy();
    disk.destroy();
    removeCgroup(groupPath);
  }
}
