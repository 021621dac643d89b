import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncWriteProbe } from '../../src/host/sync-write-probe.js';

it('writes N blocks with O_DSYNC, times each, and leaves no file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-probe-'));
  try {
    const r = await syncWriteProbe(dir, { writes: 4, blockBytes: 64 * 1024 });
    assert.equal(r.latenciesMs.length, 4);
    assert.equal(r.timedOut, false);
    assert.ok(r.latenciesMs.every((ms) => ms >= 0));
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('stops at the deadline and says so, with the clock injected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-probe-'));
  let t = 0;
  try {
    // every reading of the clock advances it by 400 ms: the second write starts past the 1 s deadline
    const r = await syncWriteProbe(dir, { writes: 10, blockBytes: 4096, deadlineMs: 1000, now: () => (t += 400) });
    assert.equal(r.timedOut, true);
    assert.ok(r.latenciesMs.length < 10);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('fails clearly in a directory it cannot write', async () => {
  await assert.rejects(syncWriteProbe('/nonexistent/stowage'), { code: 'ENOENT' });
});
