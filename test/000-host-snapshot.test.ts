/**
 * The suite's first file (node's runner sorts the files it finds, and package.json lists this one first):
 * sweeps what a killed earlier run left, then captures the host for zzz-host-check.test.ts to compare.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { BUSYBOX_IMAGE, docker } from './support/docker-cli.js';
import { captureHostState, snapshotPath } from './support/host-state.js';
import { sweepStalePrivateDaemons } from './support/private-daemon.js';

test('capture the host before the first test', async () => {
  const swept = sweepStalePrivateDaemons();
  if (swept.length) process.stderr.write(`host snapshot: swept what a killed run left: ${swept.join(', ')}\n`);
  const state = await captureHostState();
  assert.ok(state.bridges.length > 0, 'ip lists the bridges');
  const busybox = await docker(['image', 'inspect', '-f', '{{.Id}}', BUSYBOX_IMAGE], { allowFailure: true });
  writeFileSync(snapshotPath(), JSON.stringify({ state, busyboxBefore: busybox.code === 0 }));
});
