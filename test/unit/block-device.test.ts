import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeChain, parseScheduler, physicalDisks, resolveDevice } from '../../src/host/block-device.js';
import { parseMountinfo } from '../../src/host/mountinfo.js';
import { sysfsSample } from '../support/samples.js';

const rootOnVda = parseMountinfo('27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n');

describe('block device chains from recorded sysfs', () => {
  it('NVMe partition -> EBS disk, with model and volume serial', () => {
    const node = resolveDevice({ fs: sysfsSample('aws-nvme-ebs-partition'), mounts: [] }, '259:3');
    assert.ok(node);
    assert.equal(node.kind, 'partition');
    assert.equal(describeChain(node), 'nvme1n1p1 -> nvme1n1');
    const [disk] = physicalDisks(node);
    assert.equal(disk?.model, 'Amazon Elastic Block Store');
    assert.equal(disk?.serial, 'vol0a1b2c3d4e5f60718');
    assert.equal(disk?.sizeBytes, 100 * 1024 ** 3);
    assert.equal(disk?.rotational, false);
    assert.equal(disk?.scheduler, 'none');
  });

  it('dm (LVM) -> partition -> spinning disk', () => {
    const node = resolveDevice({ fs: sysfsSample('lvm-on-partition'), mounts: [] }, '253:0');
    assert.ok(node);
    assert.equal(describeChain(node), 'dm-0 (vg0-docker) -> sda2 -> sda');
    const disks = physicalDisks(node);
    assert.deepEqual(disks.map((d) => [d.name, d.rotational, d.scheduler, d.vendor]), [['sda', true, 'bfq', 'ATA']]);
  });

  it('md RAID 1 -> both member disks', () => {
    const node = resolveDevice({ fs: sysfsSample('md-raid1'), mounts: [] }, '9:0');
    assert.ok(node);
    assert.equal(describeChain(node), 'md0 (raid1) -> [sdb, sdc]');
    assert.deepEqual(physicalDisks(node).map((d) => d.name), ['sdb', 'sdc']);
  });

  it('loop -> backing file -> the disk under the file', () => {
    const node = resolveDevice({ fs: sysfsSample('loop-on-virtio'), mounts: rootOnVda }, '7:0');
    assert.ok(node);
    assert.equal(node.kind, 'loop');
    assert.equal(node.detail, '/tmp/stowage-loop-kwQUzz/disk.img');
    assert.equal(describeChain(node), 'loop0 (file /tmp/stowage-loop-kwQUzz/disk.img) -> vda');
    assert.equal(physicalDisks(node)[0]?.serial, 'overlayblk');
  });

  it('an unknown device number resolves to nothing', () => {
    assert.equal(resolveDevice({ fs: sysfsSample('md-raid1'), mounts: [] }, '1:99'), undefined);
  });

  it('reads the active scheduler', () => {
    assert.equal(parseScheduler('none [mq-deadline] kyber bfq'), 'mq-deadline');
    assert.equal(parseScheduler('none'), 'none');
    assert.equal(parseScheduler(undefined), undefined);
  });
});
