/** The end-of-suite host check's comparison, on capture pairs. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { compareHostStates, type HostState } from '../support/host-state.js';

const empty: HostState = {
  bridges: [], networks: [], containers: [], volumes: [], images: [], imageTags: [], buildCache: [],
  loopDevices: [], mounts: [], tempEntries: [], cgroups: [], processes: [],
};
const host: HostState = { ...empty, bridges: ['docker0'], volumes: ['users-data'], images: ['sha256:aa'], imageTags: ['debian:12'], processes: ['77 dockerd'] };

it('finds nothing when the host is as it was', () => {
  assert.deepEqual(compareHostStates(host, structuredClone(host)), []);
});

it('names every object left behind, of every kind', () => {
  const after: HostState = {
    bridges: ['docker0', 'stw123-abcd'], networks: ['n1'], containers: ['c1'], volumes: ['users-data', 'f00d'], images: ['sha256:aa', 'sha256:bb'],
    imageTags: ['debian:12', 'stowage-test/x:1'], buildCache: ['r1'], loopDevices: ['/dev/loop3 /tmp/stowage-loop-x/disk.img'],
    mounts: ['/tmp/stowage-loop-x/mnt (/dev/loop3)'], tempEntries: ['/tmp/stowage-ctx-1'], cgroups: ['/sys/fs/cgroup/blkio/stowage-test-1'],
    processes: ['77 dockerd', '99 /usr/bin/docker-registry serve /tmp/stowage-registry-1/config.yml'],
  };
  assert.deepEqual(compareHostStates(host, after), [
    'bridge left behind: stw123-abcd', 'engine network left behind: n1', 'container left behind: c1', 'volume left behind: f00d',
    'image left behind: sha256:bb', 'image tag left behind: stowage-test/x:1', 'build cache record left behind: r1',
    'loop device left behind: /dev/loop3 /tmp/stowage-loop-x/disk.img', 'mount left behind: /tmp/stowage-loop-x/mnt (/dev/loop3)',
    'temp entry left behind: /tmp/stowage-ctx-1', 'cgroup left behind: /sys/fs/cgroup/blkio/stowage-test-1',
    'process left behind: 99 /usr/bin/docker-registry serve /tmp/stowage-registry-1/config.yml',
  ]);
});

it('names the host\'s own objects that went, but not a process that ended', () => {
  const after: HostState = { ...empty, imageTags: ['debian:12'], images: ['sha256:aa'] };
  assert.deepEqual(compareHostStates(host, after), ['bridge removed: docker0', 'volume removed: users-data']);
});
