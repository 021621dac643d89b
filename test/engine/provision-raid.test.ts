/**
 * Issue 16: several devices are striped as md RAID0, and this kernel has no md driver. On two real blank loop
 * devices, `provision plan` shows the RAID0 steps and the refusal, and `provision apply` refuses (exit 5)
 * before writing anything: each device's first and last MiB hash the same before and after, blkid finds
 * nothing on either, and no file (daemon.json, unit, mdadm.conf, journal) is written.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BlankLoop } from '../support/blank-loop.js';
import { blkid } from '../support/block-tools.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

function scoped(a: BlankLoop, b: BlankLoop): string[] {
  mkdirSync(join(a.dir, 'old'), { recursive: true });
  return ['--device', a.device, '--device', b.device, '--mount-point', join(a.dir, 'mnt'), '--daemon-json', join(a.dir, 'etc', 'daemon.json'),
    '--fstab', join(a.dir, 'etc', 'fstab'), '--unit-dir', join(a.dir, 'units'), '--data-root', join(a.dir, 'old'),
    '--journal', join(a.dir, 'journal'), '--engine-restart', 'none', '--ephemeral'];
}

describe('provision over two devices where the kernel has no md driver', { timeout: 120_000 }, () => {
  test('the host this runs on has no md driver (the refusal below is the one under test)', () => {
    assert.equal(existsSync('/proc/mdstat'), false, 'this test expects a kernel without md; with md the refusal is not reached');
  });

  test('plan shows the RAID0 steps and the refusal; apply refuses with exit 5 and writes nothing to either device', async () => {
    const a = new BlankLoop().create();
    const b = new BlankLoop().create();
    try {
      const before = [a.edgeHash(), b.edgeHash()];
      const plan = await runCli(['--json', '-q', 'provision', 'plan', ...scoped(a, b)], { timeoutMs: 60_000 });
      assert.equal(plan.code, 5, plan.stderr);
      const doc = JSON.parse(plan.stdout) as { result: { raid: { device: string; members: { path: string }[] }; plan: { actions: { id: string }[]; refusals: { kind: string; detail: string }[] }; steps: { id: string; commands: string[] }[] } };
      assert.deepEqual(schemaValidator('provision.schema.json')(doc), [], 'follows schema/provision.schema.json');
      assert.deepEqual(doc.result.raid.members.map((m) => m.path), [a.device, b.device]);
      assert.deepEqual(doc.result.plan.actions.map((x) => x.id).slice(0, 3), ['raid-create', 'raid-config', 'mkfs-docker']);
      assert.match(doc.result.steps[0]!.commands[0]!, new RegExp(`^mdadm --create /dev/md/stowage-docker --run --level=0 --chunk=512 .*--raid-devices=2 ${a.device} ${b.device}$`));
      assert.deepEqual([...new Set(doc.result.plan.refusals.map((r) => r.kind))], ['no-md-raid']);

      const apply = await runCli(['provision', 'apply', ...scoped(a, b), '--yes'], { timeoutMs: 60_000 });
      assert.equal(apply.code, 5, `exit 5 (refused): ${apply.stderr}`);
      assert.match(apply.stderr, new RegExp(`^stowage: ${a.device} \\+ ${b.device} is refused: striping 2 devices needs md RAID0: the kernel has no md driver \\(no /proc/mdstat`, 'm'));
      assert.match(apply.stderr, /Nothing was written/);
      assert.deepEqual([a.edgeHash(), b.edgeHash()], before, 'both devices unchanged');
      assert.deepEqual([blkid(a.device), blkid(b.device)], [{}, {}]);
      assert.deepEqual(readdirSync(a.dir).sort(), ['disk.img', 'old'], 'no daemon.json, unit, mdadm.conf or journal written');
    } finally {
      b.destroy();
      a.destroy();
    }
  });
});
