/**
 * disk/ext4-no-journal on real filesystems (issue 11): a loop ext4 made with `mkfs.ext4 -O ^has_journal` under a
 * private engine's data-root, churned with containers, is named; the same with a journal is not. The oracle
 * for the filesystem's features is dumpe2fs, not the tune2fs doctor reads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runDoctor } from '../../src/doctor/doctor.js';
import { docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { LoopDisk } from '../support/loop-disk.js';
import { PrivateDaemon } from '../support/private-daemon.js';

async function doctorOnExt4(mkfsOptions: string[]) {
  const disk = new LoopDisk(512, 'ext4', mkfsOptions).create();
  const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'docker') });
  try {
    const features = execFileSync('dumpe2fs', ['-h', disk.device], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').find((l) => l.startsWith('Filesystem features:')) ?? '';
    await daemon.start();
    const image = await ensureBusybox(daemon.env);
    // a little of the churn that makes a journal-less ext4 slow: containers made and removed
    for (let i = 0; i < 5; i++) {
      const name = uniqueName('stowage-churn');
      await docker(['run', '--name', name, '--network', 'none', image, 'sh', '-c', 'for i in $(seq 1 200); do echo $i > /f$i; done'], { env: daemon.env });
      await docker(['rm', '-v', name], { env: daemon.env });
    }
    const report = await runDoctor({ connect: { host: daemon.host }, only: ['disk'] });
    return { report, features, disk: disk.device };
  } finally {
    await daemon.destroy();
    disk.destroy();
  }
}

describe('disk/ext4-no-journal', () => {
  it('names an ext4 data-root made without a journal', async () => {
    const { report, features, disk } = await doctorOnExt4(['-O', '^has_journal']);
    assert.doesNotMatch(features, /has_journal/, 'dumpe2fs: no journal');
    assert.equal(report.facts.disk?.journal?.journal, false);
    const f = report.findings.find((x) => x.id === 'disk/ext4-no-journal');
    assert.ok(f, `got ${report.findings.map((x) => x.id)}`);
    assert.equal(f.severity, 'warn');
    const name = disk.replace('/dev/', '');
    assert.ok(f.evidence.some((e) => e.value === `/proc/fs/jbd2 has no ${name}-8`), JSON.stringify(f.evidence));
    assert.ok(f.fix?.commands?.includes(`tune2fs -O has_journal ${disk}`));
  });

  it('says nothing when the ext4 has its journal', async () => {
    const { report, features } = await doctorOnExt4([]);
    assert.match(features, /has_journal/, 'dumpe2fs: a journal');
    assert.equal(report.facts.disk?.journal?.journal, true);
    assert.ok(!report.findings.some((x) => x.id === 'disk/ext4-no-journal'));
  });
});
