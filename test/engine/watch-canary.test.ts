/**
 * watch's canary against the real engine: a container start timed every --every through the API, each one
 * removed (Docker's own listing is the oracle), the starts in the histogram promtool accepts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.js';
import { docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { schemaValidator } from '../support/json-schema.js';

describe('stowage watch --canary', () => {
  it('times container starts through the engine, removes every one, and counts them in the start histogram', async () => {
    const image = await ensureBusybox();
    const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-'));
    try {
      const r = await runCli(['watch', '--json', '--count', '4', '--interval', '1s', '--canary', image, '--canary-cmd', 'true', '--every', '1s', '--textfile', dir]);
      assert.equal(r.code, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; durationMs?: number; error?: string | null });
      const validate = schemaValidator('watch-event.schema.json');
      for (const e of events) assert.deepEqual(validate(e), [], JSON.stringify(e));
      const starts = events.filter((e) => e.type === 'canary');
      assert.ok(starts.length >= 2, `${starts.length} canary starts in 4 s`);
      for (const s of starts) {
        assert.equal(s.error, null);
        assert.ok(s.durationMs! > 0 && s.durationMs! < 30_000);
      }
      const left = await docker(['ps', '-aq', '--filter', 'label=stowage.watch=canary']);
      assert.equal(left.stdout.trim(), '', 'every canary container is removed');
      const text = readFileSync(join(dir, 'stowage.prom'), 'utf8');
      const count = /^stowage_container_start_duration_seconds_count\{image="([^"]+)"\} (\d+)$/m.exec(text);
      assert.ok(count, text);
      assert.equal(count[1], image);
      // the textfile is written after each reading, so it holds the starts finished by the last one
      assert.ok(Number(count[2]) >= 1 && Number(count[2]) <= starts.length);
      const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a canary image the engine does not have (exit 4), pulling nothing', async () => {
    const missing = `${uniqueName('stowage-test/absent')}:none`;
    const r = await runCli(['watch', '--once', '--canary', missing]);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stderr.split('\n')[0], `stowage: canary image ${missing} is not in the engine`);
  });
});
