/**
 * The suite's last file: the host must be as 000-host-snapshot.test.ts found it, and the host engine must
 * still run a container on its default bridge (a private engine once deleted docker0). Fails the run
 * otherwise, naming each object left behind or removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { BUSYBOX_IMAGE, docker, ensureBusybox } from './support/docker-cli.js';
import { captureHostState, compareHostStates, snapshotPath, type HostState } from './support/host-state.js';

test('the suite left the host as it found it', async () => {
  const path = snapshotPath();
  assert.ok(existsSync(path), `no host snapshot at ${path}: run the whole suite (npm test), whose first file takes it`);
  const { state: before, busyboxBefore } = JSON.parse(readFileSync(path, 'utf8')) as { state: HostState; busyboxBefore: boolean };
  const image = await ensureBusybox();
  const run = await docker(['run', '--rm', '--network', 'bridge', image, 'true'], { allowFailure: true });
  // the base image is the suite's own fixture, kept between tests; it goes if the suite made it
  if (!busyboxBefore) await docker(['rmi', BUSYBOX_IMAGE], { allowFailure: true });
  const problems = compareHostStates(before, await captureHostState());
  if (run.code !== 0) problems.unshift(`a bridge-networked container does not run on the host engine: ${run.stderr.trim()}`);
  rmSync(path, { force: true });
  assert.ok(problems.length === 0, `the suite changed the host:\n  ${problems.join('\n  ')}`);
});
