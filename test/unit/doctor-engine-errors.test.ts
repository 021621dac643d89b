/** How connection failures become doctor's causes: by error class, ssh2's level and errno code, never message text. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostUrl, type Endpoint } from '../../src/engine/endpoint.js';
import { SshRemoteExitError, toEngineError } from '../../src/engine/engine-errors.js';
import { EngineUnreachableError } from '../../src/errors.js';

const at = (url: string): Endpoint => ({ url, transport: parseHostUrl(url, { env: {}, homeDir: '/root' }), source: '--host', skipped: [] });
const failure = (err: unknown, url: string) => (toEngineError(err, at(url)) as EngineUnreachableError).failure;
const errno = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error('the text does not matter'), { code, ...extra });

it('maps each failure to its cause', () => {
  assert.equal(failure(errno('ENOTFOUND'), 'ssh://x@nosuch.invalid'), 'name-not-resolved');
  assert.equal(failure(errno('EAI_AGAIN'), 'tcp://build-7:2375'), 'name-not-resolved');
  assert.equal(failure(errno('ECONNREFUSED', { level: 'client-socket' }), 'ssh://root@127.0.0.1'), 'connection-refused');
  assert.equal(failure(errno('ECONNREFUSED'), 'tcp://127.0.0.1:2375'), 'connection-refused');
  // a unix socket that refuses is a socket file with no daemon behind it
  assert.equal(failure(errno('ECONNREFUSED'), 'unix:///var/run/docker.sock'), 'not-running');
  assert.equal(failure(Object.assign(new Error('x'), { level: 'client-authentication' }), 'ssh://root@h'), 'ssh-auth-failed');
  assert.equal(failure(Object.assign(new Error('x'), { level: 'client-timeout' }), 'ssh://root@h'), 'timeout');
  assert.equal(failure(new SshRemoteExitError(1, undefined, 'Cannot connect'), 'ssh://root@h'), 'ssh-remote-failed');
});

it('says which remote failure it was, and gives its fix', () => {
  const missing = toEngineError(new SshRemoteExitError(127, undefined, 'sh: docker: not found'), at('ssh://root@h:2222')) as EngineUnreachableError;
  assert.match(missing.message, /ssh to h:2222 works, but the remote host has no `docker` command/);
  assert.match(missing.hint ?? '', /Install the docker CLI on the remote host/);
  const socket = toEngineError(new SshRemoteExitError(1, undefined, 'dial unix /var/run/docker.sock: connect: no such file or directory'), at('ssh://root@h')) as EngineUnreachableError;
  assert.match(socket.message, /could not reach its daemon's socket .*no such file or directory/);
  assert.match(socket.hint ?? '', /systemctl status docker/);
});

it('tells a host that never answered, another server and a TLS mix-up from a stopped or hung daemon', () => {
  assert.equal(failure(errno('EHOSTUNREACH'), 'tcp://192.0.2.9:2375'), 'host-unreachable');
  assert.equal(failure(errno('ENETUNREACH'), 'tcp://10.9.0.2:2375'), 'host-unreachable');
  assert.equal(failure(errno('ETIMEDOUT'), 'tcp://192.0.2.9:2375'), 'host-unreachable');
  assert.equal(failure(errno('EPROTO'), 'https://127.0.0.1:2375'), 'not-docker');
  assert.equal(failure(Object.assign(new Error('x'), { level: 'protocol' }), 'ssh://root@h:80'), 'not-ssh');
  const tls = toEngineError(errno('EPROTO'), at('https://127.0.0.1:2375')) as EngineUnreachableError;
  assert.match(tls.message, /answers in plain text, not TLS/);
  // a hung engine on this host points at D-state tasks; on another host, at that host
  const local = toEngineError(Object.assign(new Error('x'), { level: 'client-timeout' }), at('tcp://127.0.0.1:2375')) as EngineUnreachableError;
  assert.match(local.hint ?? '', /D-state/);
  const remote = toEngineError(Object.assign(new Error('x'), { level: 'client-timeout' }), at('ssh://root@build-7')) as EngineUnreachableError;
  assert.match(remote.message, /build-7:22 accepted the connection, but the engine .* did not answer in time/);
  assert.match(remote.hint ?? '', /run `stowage doctor` on build-7/);
});
