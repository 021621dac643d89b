/**
 * bench start against a really slow disk: a private dockerd whose data-root is an ext4 filesystem on a
 * loop device, and cgroup v1 blkio write throttling on that device switched on part-way through the run.
 * The iterations after the switch must be flagged as stalls and attributed to the disk.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectEngine } from '../../src/engine/dockerode-engine.js';
import { runStartBench, type IterationRecord } from '../../src/bench/start-loop.js';
import { ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { LoopDisk, removeCgroup } from '../support/loop-disk.js';
import { PrivateDaemon } from '../support/private-daemon.js';

const BLKIO = '/sys/fs/cgroup/blkio';

describe('bench start on a throttled loop-device data-root', () => {
  it('detects the stalls after the throttle and blames the disk', { timeout: 240_000 }, async () => {
    const disk = new LoopDisk(512).create();
    const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'docker') });
    const group = uniqueName('stowage-bench');
    const groupPath = join(BLKIO, group);
    let dockerdPid: string | undefined;
    try {
      mkdirSync(groupPath);
      await daemon.start();
      const image = await ensureBusybox(daemon.env);
      // the daemon joins the group: its writes (layers, container config, fsyncs) are throttled. cgroup v1
      // blkio limits are not inherited by child groups on this kernel, so the containers under
      // --cgroup-parent feel it through the daemon and the filesystem journal they share with it.
      // (bench disk --write-iops covers a directly limited container.)
      dockerdPid = readFileSync(join(daemon.dir, 'dockerd.pid'), 'utf8').trim();
      writeFileSync(join(groupPath, 'cgroup.procs'), dockerdPid);
      const engine = await connectEngine({ host: daemon.host });
      const throttleAfter = 8;
      let throttledAt: number | undefined;
      const result = await runStartBench(engine, {
        image,
        // 20 separate 4 KiB writes, each fsync'd: a handful of ms on a free disk, seconds at 20 IOPS
        cmd: ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do dd if=/dev/zero of=/probe bs=4096 count=1 seek=$i conv=notrunc,fsync 2>/dev/null; i=$((i+1)); done'],
        iterations: throttleAfter + 3,
        cgroupParent: `/${group}`,
        sampleIntervalMs: 500,
        stall: { factor: 3, warmup: 5 },
        burstModel: 'gp2',
        onIteration: (rec: IterationRecord) => {
          if (rec.index === throttleAfter && throttledAt === undefined) {
            writeFileSync(join(groupPath, 'blkio.throttle.write_iops_device'), `${disk.majorMinor} 20`);
            throttledAt = rec.index;
          }
        },
      });
      if (process.env.STOWAGE_TEST_VERBOSE) console.error(result.iterations.map((r) => `${r.index} ${Math.round(r.totalMs)} ${JSON.stringify(r.phasesMs)}`).join("\n"), result.findings.map((f) => f.title));
      assert.equal(result.device?.device, disk.device.replace('/dev/', ''), 'the sampler watched the loop device');
      assert.equal(result.summary.failed, 0);
      // the disk under the loop file, modelled as gp2 on request: credits used follow the sampled IOPS
      assert.equal(result.burst?.model.name, 'gp2');
      assert.equal(result.burst?.basis.includes('--burst-model gp2'), true);
      assert.ok(result.findings.some((f) => f.id === 'bench/burst-credits'));
      const stalls = result.iterations.filter((r) => r.stall);
      assert.ok(stalls.length >= 2, `stalls detected after the throttle: ${JSON.stringify(result.iterations.map((r) => Math.round(r.totalMs)))}`);
      // a shared 2-core machine may jitter once before the throttle; the stalls belong after it
      const early = stalls.filter((r) => r.index <= throttleAfter);
      assert.ok(early.length <= 1 && stalls.length - early.length >= 2, `stalls come after the throttle: ${stalls.map((r) => r.index)}`);
      // one finding per episode of consecutive stalls (issue 11); every stall keeps its own record
      const findings = result.findings.filter((f) => f.id === 'bench/start-stall');
      assert.equal(findings.length, result.episodes.length);
      assert.deepEqual(result.stalls.map((s) => s.iteration), stalls.map((r) => r.index));
      for (const s of result.stalls.filter((x) => x.iteration > throttleAfter)) {
        assert.ok(['disk-throttled', 'disk-saturated', 'io-wait', 'disk-suspected'].includes(s.cause), `attributed to the disk: ${s.sentence}`);
        assert.ok(s.during && s.during.device === disk.device.replace('/dev/', ''), 'the host state during the stall is the loop device\'s');
      }
      for (const f of findings.filter((_, i) => (result.episodes[i]?.first ?? 0) > throttleAfter)) {
        assert.match(f.title, new RegExp(`^(start #\\d+ took .* while|from #\\d+ to #\\d+, \\d+ starts took .*;) .*${disk.device.replace('/dev/', '')}`));
        assert.ok(f.fix, 'a disk stall carries a fix');
      }
    } finally {
      if (dockerdPid) {
        try { writeFileSync(join(BLKIO, 'cgroup.procs'), dockerdPid); } catch { /* daemon gone */ }
      }
      await daemon.destroy();
      disk.destroy();
      removeCgroup(groupPath);
    }
  });
});
