/**
 * bench disk's numbers add up (issue 20), on the real engine through the CLI: the in-container probe is timed
 * by the clock its markers carry (so dd's start-up is measured, never 0), p99 never exceeds max, and a write
 * limit the user set explains the slowdown instead of raising an error that sends them hunting for blkio limits.
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
    const r = await runCli(['--json', 'bench', 'disk', '--tool', 'built-in', '--runtime', '1s', '--sync-writes', '3',
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
    assert.match(f.title, /write limit you set explains \(--write-iops 50 on \/dev\//);
    assert.doesNotMatch(JSON.stringify(f), /blkio/);
    const host = f.evidence.find((e: { label: string }) => e.label === 'host sync write p50');
    assert.equal(host.value, c.host.syncWrite.p50Ms, 'the evidence carries the figure of the table, unrounded');
    const after = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=disk']);
    assert.equal(after.stdout, before.stdout, 'probe container removed');
  });
});
