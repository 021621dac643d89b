/**
 * watch on a really slow disk: a private dockerd whose data-root is an ext4 on a loop device, a writer doing
 * direct 4 KiB writes inside the cgroup v1 blkio group that throttles that device, and the throttle switched
 * on part-way (the volume's bucket running out). watch, given the volume's model (baseline = the throttle),
 * must predict exhaustion while the writes are still fast, and see the bucket empty once they are capped.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capabilityContext } from '../../src/context.js';
import { runWatch, type WatchEvent, type WatchReading } from '../../src/watch/watch.js';
import { withThrottledDaemon } from '../support/throttled-daemon.js';

const BASELINE = 40;

describe('watch on a throttled loop-device data-root', () => {
  it('predicts exhaustion while I/O is fast, then sees the IOPS pinned at the baseline', { timeout: 240_000 }, async () => {
    await withThrottledDaemon('stowage-watch', async ({ disk, group, throttle }) => {
      const file = join(disk.mountPoint, 'load.bin');
      // direct I/O is charged to the writer's own group (buffered writeback would go to the flusher threads)
      const writer = spawn('sh', ['-c', `echo $$ > /sys/fs/cgroup/blkio/${group}/cgroup.procs; while :; do dd if=/dev/zero of=${file} bs=4096 count=256 oflag=direct conv=notrunc 2>/dev/null; done`], { stdio: 'ignore' });
      const stop = new AbortController();
      const events: { at: number; e: WatchEvent }[] = [];
      let throttledAt: number | undefined;
      let readings = 0;
      try {
        await runWatch({
          dataRoot: join(disk.mountPoint, 'docker'),
          intervalMs: 500,
          burst: { model: 'custom', baselineIops: BASELINE, burstIops: 1_000_000, bucketCredits: 200_000 },
          throttleWindowMs: 5000,
          rateWindowMs: 3000,
          onEvent: (e) => {
            const at = performance.now();
            events.push({ at, e });
            if (e.type === 'reading' && ++readings === 10) {
              throttle(BASELINE);
              throttledAt = at;
            }
            if (e.type === 'finding' && e.state === 'raised' && e.finding.id === 'watch/credits-exhausted') stop.abort(new Error('done'));
            if (readings > 80) stop.abort(new Error('gave up'));
          },
        }, capabilityContext({ signal: stop.signal }));
      } catch (err) {
        assert.equal((err as Error).message, 'done', `watch saw the bucket empty: ${events.filter((x) => x.e.type === 'reading').map((x) => Math.round(((x.e as { reading: WatchReading }).reading.sample.writeIops))).join(' ')}`);
      } finally {
        writer.kill('SIGKILL');
        writeFileSync(`/sys/fs/cgroup/blkio/${group}/blkio.throttle.write_iops_device`, `${disk.majorMinor} 0`);
      }
      if (process.env.STOWAGE_TEST_VERBOSE) {
        console.error(events.map((x) => `${Math.round(x.at - events[0]!.at)} ms ${x.e.type === 'reading' ? `w ${Math.round(x.e.reading.sample.writeIops)} IOPS D ${x.e.reading.sample.blockedTasks} q ${x.e.reading.sample.queueDepth.toFixed(1)}` : x.e.type === 'finding' ? `${x.e.state} ${x.e.finding.id}` : x.e.type}`).join('\n'));
      }
      const start = events[0]!.e;
      assert.equal(start.type === 'start' && start.target.device, disk.device.replace('/dev/', ''), 'watch found the loop device under the data-root');
      const predicted = events.find((x) => x.e.type === 'finding' && x.e.finding.id === 'watch/exhaustion-predicted');
      assert.ok(predicted && predicted.at < throttledAt!, 'the exhaustion was predicted before the throttle');
      const fast = events.filter((x) => x.e.type === 'reading' && x.at < throttledAt!).map((x) => (x.e as { reading: WatchReading }).reading.sample.writeIops);
      assert.ok(Math.max(...fast) > 5 * BASELINE, `writes were fast before: ${fast.map(Math.round)}`);
      const exhausted = events.find((x) => x.e.type === 'finding' && x.e.state === 'raised' && x.e.finding.id === 'watch/credits-exhausted')!;
      assert.ok(exhausted.at > throttledAt!, 'the exhausted finding comes after the throttle');
      const last = [...events].reverse().find((x) => x.e.type === 'reading')!.e as { reading: WatchReading };
      assert.equal(last.reading.credits?.creditsLeft, 0);
      assert.equal(last.reading.credits?.confidence, 'known');
    });
  });
});
