/**
 * bench start against a really slow disk: a private dockerd whose data-root is an ext4 filesystem on a
 * loop device, and cgroup v1 blkio write throttling on that device switched on part-way through the run.
 * The iterations after the switch must be flagged as stalls and attributed to the disk.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runStartBench } from '../../src/bench/start-loop.js';
import { capabilityContext } from '../../src/context.js';
import { silentProgress } from '../../src/progress.js';
import { withThrottledDaemon } from '../support/throttled-daemon.js';

describe('bench start on a throttled loop-device data-root', () => {
  it('detects the stalls after the throttle and blames the disk', { timeout: 240_000 }, async () => {
    await withThrottledDaemon('stowage-bench', async ({ disk, engine, image, group, throttle }) => {
      const throttleAfter = 8;
      let throttledAt: number | undefined;
      // the throttle goes on when the loop reports its iteration through the context's progress
      const progress = {
        ...silentProgress,
        update: (u: { done?: number }) => {
          if (u.done === throttleAfter && throttledAt === undefined) {
            throttle(20);
            throttledAt = u.done;
          }
        },
      };
      const result = await runStartBench({
        image,
        // 20 separate 4 KiB writes, each fsync'd: a handful of ms on a free disk, seconds at 20 IOPS
        cmd: ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do dd if=/dev/zero of=/probe bs=4096 count=1 seek=$i conv=notrunc,fsync 2>/dev/null; i=$((i+1)); done'],
        iterations: throttleAfter + 3,
        cgroupParent: `/${group}`,
        sampleIntervalMs: 500,
        stall: { factor: 3, warmup: 5 },
        burstModel: 'gp2',
        timeline: true,
      }, capabilityContext({ engine, progress }));
      if (!result.iterations) throw new Error('timeline: true keeps the iterations');
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
    });
  });
});
