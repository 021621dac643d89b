import { it } from 'node:test';
import assert from 'node:assert/strict';
import { renderDoctorText } from '../../src/render/doctor-text.js';
import { renderJson } from '../../src/render/json-document.js';
import { makeStyle, wantsColor } from '../../src/render/style.js';
import { formatBytes, formatDuration, formatValue } from '../../src/render/format.js';
import type { DoctorReport } from '../../src/doctor/doctor.js';

const report: DoctorReport = {
  schemaVersion: 1,
  groups: ['engine', 'io'],
  summary: { error: 1, warn: 0, info: 0 },
  failOn: 'error',
  durationMs: 1234,
  findings: [{
    id: 'io/slow-sync-write', severity: 'error', title: 'Sync writes to data-root are very slow',
    evidence: [{ label: 'total', value: 12000, unit: 'ms' }, { label: 'p99 write', value: 1500, unit: 'ms' }],
    fix: { summary: 'Find what throttles vda.', commands: ['cat /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device'] },
    subject: { kind: 'filesystem', id: '/var/lib/docker' },
  }],
  facts: {
    engine: { reachable: false, endpoint: 'unix:///var/run/docker.sock', failure: 'not-running', message: 'nothing answers', hint: 'start it' },
    daemonConfig: { found: false, dataRoot: '/var/lib/docker', storageDriver: undefined, parseError: undefined },
    dataRoot: '/var/lib/docker', dataRootSource: 'default',
    skipped: [{ group: 'space', reason: 'the engine is unreachable' }],
  },
};

it('renders the host picture, each finding with evidence and fix, and a summary line', () => {
  const text = renderDoctorText(report, makeStyle(false));
  assert.match(text, /engine {5}unix:\/\/\/var\/run\/docker.sock: unreachable \(not-running\)/);
  assert.match(text, /ERROR Sync writes to data-root are very slow \[io\/slow-sync-write\]/);
  assert.match(text, /total: 12.0 s/);
  assert.match(text, /\$ cat \/sys\/fs\/cgroup\/blkio\/blkio.throttle.write_iops_device/);
  assert.match(text, /skipped {4}space: the engine is unreachable/);
  assert.match(text, /1 finding: 1 error, 0 warn, 0 info \(checked engine, io in 1.23 s\)$/);
  assert.doesNotMatch(text, /\x1b\[/, 'no colour codes without colour');
  assert.match(renderDoctorText(report, makeStyle(true)), /\x1b\[31mERROR/);
});

it('wraps results in one versioned JSON document', () => {
  const doc = JSON.parse(renderJson('doctor', { ok: true }));
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'doctor');
  assert.deepEqual(doc.result, { ok: true });
  assert.ok(!Number.isNaN(Date.parse(doc.generatedAt)));
});

it('honours NO_COLOR, --no-color and a TTY', () => {
  assert.equal(wantsColor({ isTTY: true }, {}), true);
  assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(wantsColor({ isTTY: true }, {}, false), false);
  assert.equal(wantsColor({ isTTY: false }, {}), false);
});

it('formats figures the way docker does (decimal units)', () => {
  assert.equal(formatBytes(1982496), '1.98 MB');
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatDuration(82_000), '82.0 s');
  assert.equal(formatValue(300, 'IOPS'), '300 IOPS');
  assert.equal(formatValue(45.678, '%'), '46%');
});
