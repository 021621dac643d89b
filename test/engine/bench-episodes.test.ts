/**
 * bench start's stall episodes on a really throttled disk: a private dockerd on a loop-device ext4 whose
 * writes are limited by cgroup v1 blkio part-way through. The stalled starts after the switch must come out
 * as episodes of consecutive starts, one finding each, blamed on the disk, with the per-start detail kept.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runStartBench } from '../../src/bench/start-loop.js';
import { capabilityContext } from '../../src/context.js';
import { silentProgress } from '../../src/progress.js';
import { withThrottledDaemon } from '../support/throttled-daemon.js';

describe('bench start stall episodes on a throttled loop device', () => {
  it('groups the consecutive stalls after the throttle into episodes, one finding each', { timeout: 300_000 }, async () => {
    await withThrottledDaemon('stowage-episodes', async ({ disk, engine, image, group, throttle }) => {
      const throttleAfter = 8;
      // the throttle goes on when the loop reports its iteration through the context's progress
      const progress = { ...silentProgress, update: (u: { done?: number }) => { if (u.done === throttleAfter) throttle(10); } };
      const result = await runStartBench({
        image,
        cmd: ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do dd if=/dev/zero of=/probe bs=4096 count=1 seek=$i conv=notrunc,fsync 2>/dev/null; i=$((i+1)); done'],
        iterations: throttleAfter + 6,
        cgroupParent: `/${group}`,
        sampleIntervalMs: 500,
        // a factor of 2 and a 10 IOPS limit: on a loaded shared machine a start can take seconds before the
        // throttle, and the test is about grouping, not about where the stall threshold sits
        stall: { factor: 2, warmup: 5 },
        burstModel: 'none',
        timeline: true,
      }, capabilityContext({ engine, progress }));
      if (!result.iterations) throw new Error('timeline: true keeps the iterations');
      const durations = JSON.stringify(result.iterations.map((r) => [r.index, Math.round(r.totalMs), r.stall]));
      const stalled = result.iterations.filter((r) => r.stall).map((r) => r.index);
      const late = stalled.filter((i) => i > throttleAfter);
      assert.ok(late.length >= 3, `stalls after the throttle: ${durations}`);
      // every stalled start is in exactly one episode, in order, and each episode is a run of consecutive stalls
      assert.deepEqual(result.episodes.flatMap((e) => e.runs), stalled);
      for (const e of result.episodes) {
        const inside = result.iterations.filter((r) => r.index >= e.first && r.index <= e.last && !r.error);
        assert.ok(inside.every((r) => r.stall), `episode #${e.first}-#${e.last} holds no healthy start: ${durations}`);
      }
      for (const [a, b] of result.episodes.slice(1).map((e, i) => [result.episodes[i]!, e] as const)) {
        assert.ok(result.iterations.some((r) => r.index > a.last && r.index < b.first && !r.stall && !r.error), 'a healthy start separates episodes');
      }
      // one finding per episode, not per start; the per-start records stay
      const findings = result.findings.filter((f) => f.id === 'bench/start-stall');
      assert.equal(findings.length, result.episodes.length);
      assert.equal(result.stalls.length, stalled.length);
      assert.ok(findings.length < stalled.length, `consecutive stalls share a finding: ${durations}`);
      const loop = disk.device.replace('/dev/', '');
      const long = result.episodes.find((e) => e.runs.length >= 2 && e.first > throttleAfter);
      assert.ok(long, `an episode of several starts after the throttle: ${durations}`);
      const f = findings[result.episodes.indexOf(long)]!;
      assert.match(f.title, new RegExp(`^from #${long.first} to #${long.last}, ${long.runs.length} starts took .* against a .* median; .*${loop}`));
      assert.ok(['disk-throttled', 'disk-saturated', 'io-wait', 'disk-suspected'].includes(long.cause), `blamed on the disk: ${f.title}`);
      assert.equal(long.during?.device, loop);
      assert.deepEqual(f.subject, { kind: 'benchmark', id: `start #${long.first}-#${long.last}` });
      assert.ok(f.fix);
    });
  });
});
