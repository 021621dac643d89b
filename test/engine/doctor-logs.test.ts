/**
 * doctor's container-log check on the real engine (issue 20): a container that wrote a few MB through the
 * json-file driver with no max-size is named, with bytes equal to what stat says of the file the engine
 * reports as its LogPath; a capped container is counted but not named.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { runDoctor } from '../../src/doctor/doctor.js';
import { docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';

describe('space/container-logs', () => {
  it('names an unbounded json-file log with its size, the daemon.json fix, and leaves a capped one out', async () => {
    const image = await ensureBusybox();
    const loud = uniqueName('stowage-logs-loud');
    const capped = uniqueName('stowage-logs-capped');
    try {
      // 50,000 lines: about 3.5 MB once json-file wraps each line; no max-size here, nor in the host's daemon.json
      const defaults = (await docker(['info', '--format', '{{json .LoggingDriver}}'])).stdout.trim();
      assert.equal(defaults, '"json-file"');
      await docker(['run', '--name', loud, '--network', 'none', image, 'seq', '1', '50000']);
      await docker(['run', '--name', capped, '--network', 'none', '--log-driver', 'json-file', '--log-opt', 'max-size=100k', '--log-opt', 'max-file=2', image, 'seq', '1', '50000']);
      // the oracle: the engine's LogPath and the file's size by stat
      const logPath = (await docker(['inspect', '--format', '{{.LogPath}}', loud])).stdout.trim();
      const bytes = statSync(logPath).size;
      assert.ok(bytes > 2_000_000, `a few MB of log: ${bytes}`);

      const report = await runDoctor({ only: ['space'] });
      const logs = report.facts.logs;
      assert.ok(logs, `log facts gathered; skipped: ${JSON.stringify(report.facts.skipped)}`);
      const mine = logs.containers.find((l) => l.name === loud);
      assert.ok(mine);
      assert.deepEqual({ driver: mine.driver, maxSize: mine.maxSize, bounded: mine.bounded, path: mine.path, bytes: mine.bytes },
        { driver: 'json-file', maxSize: undefined, bounded: false, path: logPath, bytes });
      const other = logs.containers.find((l) => l.name === capped);
      assert.ok(other && other.bounded && other.maxSize === '100k' && other.maxFile === '2');
      assert.ok(other.bytes > 0 && other.bytes <= 2 * 100 * 1024 + 1024, `capped log stays within 2 x 100k: ${other.bytes}`);
      assert.ok(logs.totalBytes >= bytes + other.bytes);

      const f = report.findings.find((x) => x.id === 'space/container-logs');
      assert.ok(f, `got ${report.findings.map((x) => x.id)}`);
      assert.ok(f.evidence.some((e) => e.label === `${loud} (exited, json-file, no max-size)` && e.value === bytes), JSON.stringify(f.evidence));
      assert.ok(!f.evidence.some((e) => e.label.startsWith(capped)));
      assert.match(f.fix?.config ?? '', /"log-opts": \{ "max-size": "10m", "max-file": "3" \}/);
      assert.ok(f.fix?.commands?.some((c) => c === `truncate -s 0 ${logPath}`) || logs.containers.filter((l) => !l.bounded && l.bytes > bytes).length >= 3);
    } finally {
      await docker(['rm', '-f', '-v', loud, capped], { allowFailure: true });
    }
  });
});
