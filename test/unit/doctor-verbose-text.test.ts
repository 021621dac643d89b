/** doctor --verbose: the per-image space table and the container logs, aligned, only when asked for. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { DoctorReport } from '../../src/doctor/doctor.js';
import { splitRepoTag } from '../../src/doctor/image-space.js';
import { renderDoctorText } from '../../src/render/doctor-text.js';
import { makeStyle } from '../../src/render/style.js';
import { baseFacts } from './doctor-fixture.js';

const report: DoctorReport = {
  schemaVersion: 1, groups: ['space'], durationMs: 10, findings: [], summary: { error: 0, warn: 0, info: 0 }, failOn: 'error',
  facts: baseFacts({
    imageSpace: [
      { id: `sha256:${'9c1e0d2b7a41'.padEnd(64, '0')}`, repository: 'registry:5000/app', tag: 'v2', repoTags: ['registry:5000/app:v2'], created: 0, size: 312e6, sharedSize: 74.8e6, uniqueSize: 237.2e6, containers: 2 },
      { id: `sha256:${'0727303c48a3'.padEnd(64, '0')}`, repository: '<none>', tag: '<none>', repoTags: [], created: 0, size: 28, sharedSize: undefined, uniqueSize: undefined, containers: undefined },
    ],
    logs: {
      defaultDriver: 'json-file', defaultOpts: undefined, totalBytes: 2.9e6, unboundedBytes: 2.9e6,
      containers: [{ id: 'c1', name: 'web-1', state: 'exited', driver: 'json-file', maxSize: undefined, maxFile: undefined, bounded: false, path: '/x-json.log', bytes: 2.9e6 }],
    },
  }),
};

it('prints the image table and the logs under --verbose only', () => {
  const plain = renderDoctorText(report, makeStyle(false));
  assert.doesNotMatch(plain, /REPOSITORY/);
  assert.match(plain, /logs {7}2.90 MB in 1 container log, default driver json-file; 1 without a size limit \(2.90 MB\)/);
  const text = renderDoctorText(report, makeStyle(false), { verbose: true }).split('\n');
  const header = text.findIndex((l) => l.includes('REPOSITORY'));
  assert.equal(text[header], '    REPOSITORY          TAG      IMAGE ID       SIZE     SHARED    UNIQUE   CONTAINERS');
  assert.equal(text[header + 1], '    registry:5000/app   v2       9c1e0d2b7a41   312 MB   74.8 MB   237 MB   2');
  assert.equal(text[header + 2], '    <none>              <none>   0727303c48a3   28 B     N/A       N/A      N/A');
  const logs = text.findIndex((l) => l.includes('CONTAINER '));
  assert.equal(text[logs + 1], '    web-1       exited   json-file   none       -          2.90 MB');
});

it('splits a reference at the tag colon, not a registry port', () => {
  assert.deepEqual(splitRepoTag('registry:5000/app:v2'), { repository: 'registry:5000/app', tag: 'v2' });
  assert.deepEqual(splitRepoTag('registry:5000/app'), { repository: 'registry:5000/app', tag: '<none>' });
  assert.deepEqual(splitRepoTag('busybox:latest'), { repository: 'busybox', tag: 'latest' });
});
