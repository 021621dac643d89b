import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountinfo, mountFor } from '../../src/host/mountinfo.js';
import { parseDiskstats } from '../../src/host/diskstats.js';
import { parseCpuStat, parseProcsBlocked } from '../../src/host/cpu-stat.js';
import { sampleHost } from '../../src/host/host-sample.js';
import { ioRates, iowaitPercent } from '../../src/measure/io-rates.js';
import { parseProcStat, blockedTasks } from '../../src/host/tasks.js';
import { parseExtFeatures, parseXfsFtype } from '../../src/host/dtype-probe.js';
import { readDaemonConfig } from '../../src/host/daemon-config.js';
import { recordedHostFs } from '../../src/host/host-fs.js';
import { readOverlayModule } from '../../src/host/overlay-module.js';
import { readSample } from '../support/samples.js';

describe('mountinfo', () => {
  const mounts = parseMountinfo(readSample('proc/mountinfo-debian-vm.txt'));

  it('parses every line of a recorded sample with device numbers and types', () => {
    const root = mounts.find((m) => m.mountPoint === '/');
    assert.ok(root);
    assert.equal(root.major, 254);
    assert.equal(root.minor, 0);
    assert.equal(root.fsType, 'ext4');
    assert.equal(root.source, '/dev/vda');
    assert.equal(mounts.find((m) => m.mountPoint === '/sys/fs/cgroup/blkio')?.fsType, 'cgroup');
  });

  it('finds the mount holding a path: the longest prefix, not a sibling with a common prefix', () => {
    assert.equal(mountFor('/var/lib/docker/overlay2', mounts)?.mountPoint, '/var/lib/docker');
    assert.equal(mountFor('/var/lib/dockerx', mounts)?.mountPoint, '/');
    assert.equal(mountFor('/sys/fs/cgroup/blkio/x', mounts)?.mountPoint, '/sys/fs/cgroup/blkio');
  });

  it('undoes octal escapes in mount points and takes optional fields', () => {
    const [m] = parseMountinfo('36 35 98:0 /mnt1 /mnt/my\\040disk rw,noatime master:1 shared:2 - xfs /dev/sdb1 rw,attr2\n');
    assert.equal(m?.mountPoint, '/mnt/my disk');
    assert.equal(m?.fsType, 'xfs');
    assert.equal(m?.source, '/dev/sdb1');
    assert.equal(m?.superOptions, 'rw,attr2');
  });
});

describe('diskstats and iostat formulas', () => {
  it('parses recorded samples and computes rates between them', () => {
    const a = parseDiskstats(readSample('proc/diskstats-1.txt')).get('vda');
    const b = parseDiskstats(readSample('proc/diskstats-2.txt')).get('vda');
    assert.ok(a && b);
    const r = ioRates(a, b, 1000);
    assert.ok(r.writeBytesPerSec >= 20 * 1024 * 1024, `20 MiB were written with oflag=sync between the samples: ${r.writeBytesPerSec}`);
    assert.ok(r.writeIops > 0);
  });

  it('follows iostat: await = ms spent / completed, util = io ticks / interval', () => {
    const line = (w: number, msW: number, ticks: number, weighted: number) =>
      `   8       0 sda 100 0 800 50 ${w} 0 ${w * 8} ${msW} 0 ${ticks} ${weighted}`;
    const a = parseDiskstats(line(1000, 2000, 10_000, 20_000)).get('sda')!;
    const b = parseDiskstats(line(1300, 2000 + 300 * 900, 10_000 + 1950, 20_000 + 270_000)).get('sda')!;
    const r = ioRates(a, b, 2000);
    assert.equal(r.writeIops, 150);
    assert.equal(r.writeAwaitMs, 900);
    assert.equal(r.writeBytesPerSec, (300 * 8 * 512) / 2);
    assert.equal(r.utilPercent, 97.5);
    assert.equal(r.queueDepth, 135);
    assert.equal(r.readIops, 0);
    assert.equal(r.readAwaitMs, 0);
  });
});

describe('/proc/stat and tasks', () => {
  it('computes iowait from two cpu lines', () => {
    const a = parseCpuStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3\n')!;
    const b = parseCpuStat('cpu  150 0 150 800 300 0 0 0 0 0\n')!;
    assert.equal(iowaitPercent(a, b), 50);
    assert.ok(parseCpuStat(readSample('proc/stat-1.txt')));
  });

  it('parses a comm with spaces and parentheses', () => {
    assert.deepEqual(parseProcStat('4242 (my (odd) task) D 1 4242 4242 0 -1'), { pid: 4242, comm: 'my (odd) task', state: 'D' });
    assert.equal(parseProcStat(readSample('proc/pid1-stat.txt'))?.pid, 1);
  });

  it('lists D-state tasks with their wchan', () => {
    const fs = recordedHostFs({
      '/proc': { dir: ['1', '77', '78', '900', 'self', 'meminfo'] },
      '/proc/1/stat': '1 (init) S 0 1 1',
      '/proc/77/stat': '77 (kworker/u4:2+flush-254:0) D 2 0 0',
      '/proc/77/wchan': 'rq_qos_wait',
      '/proc/78/stat': '78 (dd) D 1 78 78',
      '/proc/78/wchan': '0',
      '/proc/1/task': { dir: ['1'] },
      '/proc/1/task/1/stat': '1 (init) S 0 1 1',
      // a daemon whose main thread sleeps while one of its threads waits on the disk
      '/proc/900/task': { dir: ['900', '912'] },
      '/proc/900/task/900/stat': '900 (dockerd) S 1 900 900',
      '/proc/900/task/912/stat': '912 (dockerd) D 1 900 900',
      '/proc/900/task/912/wchan': 'jbd2_log_wait_commit',
    });
    assert.deepEqual(blockedTasks(fs), [
      { pid: 77, comm: 'kworker/u4:2+flush-254:0', wchan: 'rq_qos_wait' },
      { pid: 78, comm: 'dd', wchan: undefined },
      { pid: 912, comm: 'dockerd', wchan: 'jbd2_log_wait_commit' },
    ]);
  });

  it('scans threads only while /proc/stat counts tasks waiting on I/O, unless asked always', () => {
    assert.equal(parseProcsBlocked('cpu  1 0 1 7 1 0 0 0 0 0\nprocs_running 3\nprocs_blocked 2\n'), 2);
    assert.equal(parseProcsBlocked(readSample('proc/stat-1.txt')), undefined, 'a recording without the line');
    const host = (procsBlocked: number) => recordedHostFs({
      '/proc/stat': `cpu  1 0 1 7 1 0 0 0 0 0\nprocs_running 1\nprocs_blocked ${procsBlocked}\n`,
      '/proc': { dir: ['78'] },
      '/proc/78/stat': '78 (dd) D 1 78 78',
    });
    const dd = [{ pid: 78, comm: 'dd', wchan: undefined }];
    assert.deepEqual(sampleHost(host(0), 0, 'if-waiting').blocked, []);
    assert.deepEqual(sampleHost(host(1), 0, 'if-waiting').blocked, dd);
    assert.deepEqual(sampleHost(host(0), 0, 'always').blocked, dd);
    assert.deepEqual(sampleHost(host(0), 0).blocked, dd);
    assert.deepEqual(sampleHost(recordedHostFs({ '/proc/stat': 'cpu  1 0 1 7 1 0 0 0 0 0\n', '/proc': { dir: ['78'] }, '/proc/78/stat': '78 (dd) D 1 78 78' }), 0, 'if-waiting').blocked, dd, 'no count: scan');
  });
});

describe('filesystem and daemon config', () => {
  it('reads ftype from xfs_info', () => {
    const text = 'meta-data=/dev/sdb1 isize=512 agcount=4, agsize=65536 blks\nnaming   =version 2 bsize=4096 ascii-ci=0, ftype=0\n';
    assert.equal(parseXfsFtype(text), false);
    assert.equal(parseXfsFtype(text.replace('ftype=0', 'ftype=1')), true);
    assert.equal(parseXfsFtype('nothing'), undefined);
  });

  it('reads ext4 features from tune2fs -l', () => {
    const text = 'Filesystem volume name:   <none>\nFilesystem features:      has_journal ext_attr resize_inode dir_index extent 64bit\nFilesystem flags:         signed_directory_hash\n';
    assert.deepEqual(parseExtFeatures(text), ['has_journal', 'ext_attr', 'resize_inode', 'dir_index', 'extent', '64bit']);
    assert.equal(parseExtFeatures('garbage'), undefined);
  });

  it('takes data-root from daemon.json and reports invalid JSON', () => {
    const ok = readDaemonConfig(recordedHostFs({ '/etc/docker/daemon.json': '{"data-root": "/mnt/docker", "storage-driver": "overlay2"}' }));
    assert.deepEqual(ok, { found: true, dataRoot: '/mnt/docker', storageDriver: 'overlay2', parseError: undefined });
    const missing = readDaemonConfig(recordedHostFs({}));
    assert.equal(missing.dataRoot, '/var/lib/docker');
    assert.equal(missing.found, false);
    const broken = readDaemonConfig(recordedHostFs({ '/etc/docker/daemon.json': '{"data-root": ' }));
    assert.ok(broken.parseError);
  });
});

describe('overlay module parameters', () => {
  it('reads metacopy and redirect_dir', () => {
    assert.deepEqual(readOverlayModule(recordedHostFs({
      '/sys/module/overlay/parameters/metacopy': 'Y\n', '/sys/module/overlay/parameters/redirect_dir': 'N\n',
    })), { metacopy: true, redirectDir: false });
    assert.deepEqual(readOverlayModule(recordedHostFs({})), { metacopy: undefined, redirectDir: undefined });
  });
});
