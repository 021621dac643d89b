/**
 * bench disk's numbers add up (issue 20), on the real engine through the CLI: the in-container probe is timed
 * by the clock its markers carry (so dd's start-up is measured, never 0), p99 never exceeds max, and a write
 * limit the user set is said as such and compared with the limit, instead of raising an error that sends them
 * hunting for blkio limits; and the long probe shows where it is as it runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { docker, ensureBusybox } from '../support/docker-cli.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

describe('bench disk --in-container figures', () => {
  it('times both sides inside the probe, and a user-set --write-iops is an explained info finding', { timeout: 240_000 }, async () => {
    const image = await ensureBusybox();
    const before = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=disk']);
    const r = await runCli(['--json', '--progress', 'ndjson', 'bench', 'disk', '--tool', 'built-in', '--runtime', '1s', '--sync-writes', '3',
      '--in-container', '--image', image, '--write-iops', '50']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(schemaValidator('bench-disk.schema.json')(doc), []);
    const res = doc.result;
    assert.ok(res.syncWrite.p99Ms <= res.syncWrite.maxMs, `p99 ${res.syncWrite.p99Ms} <= max ${res.syncWrite.maxMs}`);
    const c = res.comparison;
    for (const [name, side] of [['host', c.host], ['container', c.container]]) {
      assert.equal(side.clock, 'in-probe', `${name} markers carry their own clock`);
      assert.ok(side.ddOverheadMs > 0, `${name} dd start-up measured: ${side.ddOverheadMs} ms`);
      assert.ok(side.syncWrite.p99Ms <= side.syncWrite.maxMs);
    }
    assert.match(c.method, /page cache then fsync/);
    const f = res.findings.find((x: { id: string }) => x.id === 'bench/container-io-slower');
    assert.ok(f, `the limit shows: ${JSON.stringify(c)}`);
    assert.equal(f.severity, 'info');
    // compared with the limit, which the kernel held: fewer fsync'd writes a second than the limit's IOPS
    assert.match(f.title, /ran limited as you asked \(--write-iops 50\): \d+ 4k fsync'd writes\/s against the limit of 50 write IOPS on \/dev\//);
    assert.ok(c.container.smallWritesPerSec <= 50 * 1.5, `the limit held: ${c.container.smallWritesPerSec} writes/s`);
    assert.deepEqual(c.writeLimit, { path: `/dev/${res.device.device}`, rate: 50 }, 'the limit is on the device under the data-root');
    assert.equal(f.subject.id, image);
    assert.doesNotMatch(JSON.stringify(f), /blkio/);
    const host = f.evidence.find((e: { label: string }) => e.label === 'host sync write p50');
    assert.equal(host.value, c.host.syncWrite.p50Ms, 'the evidence carries the figure of the table, unrounded');
    // live progress: each side's stage moved as its markers arrived, through to its last 4k write, so a
    // throttled probe is watched; the events are in order and the stream ends
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string; detail?: { stage?: string }; elapsedMs: number });
    for (const side of ['1/2: dd on the host', '2/2: dd inside']) {
      const stages = events.filter((e) => e.step?.startsWith(`in-container probe ${side}`) && e.detail?.stage).map((e) => e.detail!.stage!);
      assert.equal(stages[0], 'starting', side);
      for (const want of ['timing dd start-up 20/20', "1.05 MB fsync'd writes 10/10", "4.10 kB fsync'd writes 100/100", '67.1 MB sequential write and fsync', 'removing its files']) {
        assert.ok(stages.includes(want), `${side}: ${want} in ${stages.join(', ')}`);
      }
    }
    assert.equal(events.at(-1)!.type, 'end');
    const after = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=disk']);
    assert.equal(after.stdout, before.stdout, 'probe container removed');
  });
});
