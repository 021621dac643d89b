/**
 * Issue 16's legacy devicemapper plan: the LVM thin pool of Docker's direct-lvm guide (pvcreate, vgcreate,
 * lvcreate data and metadata, lvconvert to a thin pool, the autoextend profile, daemon.json's dm.thinpooldev),
 * refused for engines 25 and later; `apply` refuses it whatever the device, before probing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { THINPOOL_PROFILE_TEXT } from '../../src/host/lvm-thinpool.js';
import { thinPoolRefusals, thinPoolSteps } from '../../src/provision/thinpool-plan.js';

test('the thin-pool plan for an Azure data disk: LVM, pool, autoextend profile, daemon.json, engine restart', () => {
  const dev = '/dev/disk/azure/scsi1/lun0';
  const steps = thinPoolSteps(dev, 128 * 1024 ** 3, '/etc/docker/daemon.json', { stop: 'systemctl stop docker.socket docker.service', start: 'systemctl start docker.service' });
  assert.deepEqual(steps.map((s) => s.action.id), ['lvm-pv', 'lvm-vg', 'lvm-thinpool', 'lvm-autoextend', 'stop-engine', 'daemon-json', 'start-engine']);
  const commands = steps.flatMap((s) => s.step.commands);
  assert.deepEqual(commands, [
    `pvcreate ${dev}`,
    `vgcreate docker ${dev}`,
    'lvcreate --wipesignatures y -n thinpool docker -l 95%VG',
    'lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG',
    'lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta',
    'write /etc/lvm/profile/docker-thinpool.profile: activation { thin_pool_autoextend_threshold=80 thin_pool_autoextend_percent=20 }',
    'lvchange --metadataprofile docker-thinpool docker/thinpool',
    'lvs -o+seg_monitor docker/thinpool',
    'systemctl stop docker.socket docker.service',
    'write /etc/docker/daemon.json with "storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool","dm.use_deferred_removal=true","dm.use_deferred_deletion=true"]',
    'systemctl start docker.service',
  ]);
  assert.equal(THINPOOL_PROFILE_TEXT, 'activation {\n  thin_pool_autoextend_threshold=80\n  thin_pool_autoextend_percent=20\n}\n');
  assert.deepEqual(thinPoolSteps(dev, 1, '/x.json').map((s) => s.action.id), ['lvm-pv', 'lvm-vg', 'lvm-thinpool', 'lvm-autoextend', 'daemon-json'], 'no engine control: no restart steps');
});

test('engines 25 and later have no devicemapper driver: refused; older ones, or one not reached, are not', () => {
  assert.deepEqual(thinPoolRefusals('25.0.3', '/dev/sdc').map((r) => `${r.kind}: ${r.detail}`), ['driver-removed: the engine is 25.0.3: the devicemapper driver was removed in Docker 25']);
  assert.deepEqual(thinPoolRefusals('27.1.1', '/dev/sdc').length, 1);
  assert.deepEqual(thinPoolRefusals('20.10.24', '/dev/sdc'), []);
  assert.deepEqual(thinPoolRefusals('24.0.9', '/dev/sdc'), []);
  assert.deepEqual(thinPoolRefusals(undefined, '/dev/sdc'), []);
});

test('through the CLI: apply --driver devicemapper refuses (exit 5) before probing; a bad --driver is exit 2; plan warns to prefer overlay2', async () => {
  const { main } = await import('../../src/cli/main.js');
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const io = { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } }, env: {} };
    return { code: await main(args, io), out, err };
  };
  const apply = await run(['provision', 'apply', '--device', '/dev/stowage-nosuch', '--driver', 'devicemapper', '--yes']);
  assert.deepEqual([apply.code, apply.err.split('\n')[0]], [5, 'stowage: the devicemapper thin pool is shown as a plan only: apply refuses it']);
  assert.equal((await run(['provision', 'plan', '--device', '/dev/null', '--driver', 'btrfs'])).code, 2);
  assert.equal((await run(['provision', 'plan', '--device', '/dev/null', '--driver', 'devicemapper', '--ephemeral'])).code, 2);
});
