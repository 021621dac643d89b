import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseDiskUsage } from '../../src/engine/system-df.js';
import { resolveEndpoint, parseHostUrl } from '../../src/engine/endpoint.js';
import { compareApiVersions } from '../../src/engine/dockerode-engine.js';
import { UsageError } from '../../src/errors.js';
import { createHash } from 'node:crypto';
import { readSample } from '../support/samples.js';

describe('/system/df across API versions', () => {
  const legacy = normaliseDiskUsage(JSON.parse(readSample('engine/system-df-1.41.json')));
  const modern = normaliseDiskUsage(JSON.parse(readSample('engine/system-df-1.53.json')));

  it('computes docker system df totals from a recorded API 1.41 answer', () => {
    assert.deepEqual(legacy.totals.images, { count: 4, active: 1, size: 1982496, reclaimable: 1982496 });
    assert.deepEqual(legacy.totals.containers, { count: 3, active: 1, size: 5000, reclaimable: 5000 });
    assert.deepEqual(legacy.totals.volumes, { count: 2, active: 2, size: 107000, reclaimable: 0 });
    assert.equal(legacy.totals.buildCache.count, 3);
    assert.equal(legacy.totals.buildCache.size, 0, 'shared records are not counted, as docker does');
  });

  it('reads the 1.52+ shape (Items inside *DiskUsage objects, no legacy fields) to the same model', () => {
    assert.deepEqual(modern.totals, legacy.totals);
    assert.deepEqual(modern.images, legacy.images);
    assert.deepEqual(modern.volumes, legacy.volumes);
  });

  it('marks untagged, undigested images as dangling', () => {
    const usage = normaliseDiskUsage({
      LayersSize: 10,
      Images: [
        { Id: 'a', RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], Size: 5, SharedSize: 0, Containers: 0 },
        { Id: 'b', RepoTags: null, RepoDigests: ['x@sha256:1'], Size: 5, SharedSize: 0, Containers: 0 },
        { Id: 'c', RepoTags: ['app:1'], Size: 5, SharedSize: 0, Containers: 2 },
      ],
    });
    assert.deepEqual(usage.images.map((i) => i.dangling), [true, false, false]);
    assert.deepEqual(usage.totals.images, { count: 3, active: 1, size: 10, reclaimable: 5 });
  });
});

describe('engine endpoint, by the docker CLI rules', () => {
  const files: Record<string, string> = {};
  const inputs = (over: Partial<Parameters<typeof resolveEndpoint>[0]> = {}) => ({
    env: {}, homeDir: '/home/u', readFile: (p: string) => files[p], ...over,
  });

  it('defaults to /var/run/docker.sock and says what it skipped', () => {
    const e = resolveEndpoint(inputs());
    assert.equal(e.url, 'unix:///var/run/docker.sock');
    assert.equal(e.source, 'default socket');
    assert.deepEqual(e.skipped.map((s) => s.rule), ['--host', 'DOCKER_HOST', 'context']);
  });

  it('--host beats DOCKER_HOST, which beats the context', () => {
    assert.equal(resolveEndpoint(inputs({ hostFlag: 'unix:///a.sock', env: { DOCKER_HOST: 'tcp://h:1' } })).url, 'unix:///a.sock');
    const e = resolveEndpoint(inputs({ env: { DOCKER_HOST: 'tcp://h:1', DOCKER_CONTEXT: 'x' } }));
    assert.equal(e.source, 'DOCKER_HOST');
    assert.deepEqual(e.transport, { kind: 'tcp', host: 'h', port: 1, tls: undefined });
  });

  it('reads the current context from config.json and its meta.json', () => {
    const digest = createHash('sha256').update('remote').digest('hex');
    files['/cfg/config.json'] = JSON.stringify({ currentContext: 'remote' });
    files[`/cfg/contexts/meta/${digest}/meta.json`] = JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'ssh://ops@build-1' } } });
    const e = resolveEndpoint(inputs({ env: { DOCKER_CONFIG: '/cfg' } }));
    assert.equal(e.source, 'context "remote"');
    assert.deepEqual(e.transport, { kind: 'ssh', host: 'build-1', port: 22, portGiven: false, username: 'ops' });
    assert.throws(() => resolveEndpoint(inputs({ env: { DOCKER_CONFIG: '/cfg' }, contextFlag: 'nope' })), UsageError);
    assert.equal(resolveEndpoint(inputs({ env: { DOCKER_CONFIG: '/cfg', DOCKER_CONTEXT: 'default' } })).source, 'default socket');
  });

  it('rejects --host with --context, and unknown schemes', () => {
    assert.throws(() => resolveEndpoint(inputs({ hostFlag: 'unix:///a', contextFlag: 'b' })), UsageError);
    assert.throws(() => parseHostUrl('npipe:////./pipe/docker_engine', { env: {}, homeDir: '/' }), UsageError);
  });

  it('uses TLS on tcp when DOCKER_TLS_VERIFY or DOCKER_CERT_PATH is set, with port 2376 by default', () => {
    const t = parseHostUrl('tcp://10.1.2.3', { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, homeDir: '/' });
    assert.deepEqual(t, { kind: 'tcp', host: '10.1.2.3', port: 2376, tls: { verify: true, ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' } });
    assert.deepEqual(parseHostUrl('/run/user/1000/docker.sock', { env: {}, homeDir: '/' }), { kind: 'unix', socketPath: '/run/user/1000/docker.sock' });
  });

  it('compares API versions numerically', () => {
    assert.ok(compareApiVersions('1.41', '1.9') > 0);
    assert.equal(compareApiVersions('1.53', '1.53'), 0);
    assert.ok(compareApiVersions('1.40', '1.41') < 0);
  });
});
