/** daemon.json's log defaults, as doctor reports them beside container logs. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readDaemonConfig } from '../../src/host/daemon-config.js';
import { recordedHostFs } from '../../src/host/host-fs.js';

it('reads log-driver and log-opts, with values as the strings dockerd takes', () => {
  const c = readDaemonConfig(recordedHostFs({ '/etc/docker/daemon.json': '{"log-driver":"json-file","log-opts":{"max-size":"10m","max-file":3}}' }));
  assert.equal(c.logDriver, 'json-file');
  assert.deepEqual(c.logOpts, { 'max-size': '10m', 'max-file': '3' });
});

it('leaves them out when daemon.json does not set them, or does not exist', () => {
  const c = readDaemonConfig(recordedHostFs({ '/etc/docker/daemon.json': '{"data-root":"/srv/docker"}' }));
  assert.equal(c.logDriver, undefined);
  assert.equal(c.logOpts, undefined);
  assert.equal(readDaemonConfig(recordedHostFs({})).logOpts, undefined);
});
