/**
 * doctor on real failing endpoints (issue 20): an unresolvable ssh host, a refused TCP port and a refused ssh
 * port on 127.0.0.1, and a real sshd on a high port that refuses our key, or runs a remote `docker` that
 * cannot reach its daemon or is missing. Each must name what failed, with the fix for that, and print no
 * Node deprecation warning.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaValidator } from '../support/json-schema.js';
import { docker } from '../support/docker-cli.js';
import { runCli, STOWAGE_BIN } from '../support/run-cli.js';

const validate = schemaValidator('doctor.schema.json');

interface DoctorJson {
  result: {
    findings: { id: string; title: string; fix?: { summary: string } }[];
    facts: { engine: { reachable: boolean; failure?: string } };
  };
}

/** A port nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function doctorAt(host: string, env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(['--json', '-H', host, 'doctor', '--only', 'engine'], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, `exit 1 for an error finding; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /DeprecationWarning|DEP0170/, 'no Node deprecation warning');
  const doc = JSON.parse(r.stdout) as DoctorJson;
  assert.deepEqual(validate(doc), [], 'the document follows schema/doctor.schema.json');
  assert.equal(doc.result.facts.engine.reachable, false);
  const engineFindings = doc.result.findings.filter((f) => f.id.startsWith('engine/'));
  assert.equal(engineFindings.length, 1, JSON.stringify(engineFindings));
  return { finding: engineFindings[0]!, failure: doc.result.facts.engine.failure, stderr: r.stderr };
}

describe('doctor names what failed in reaching the engine', () => {
  it('an ssh host whose name does not resolve', async () => {
    const { finding, failure } = await doctorAt('ssh://x@nosuch.invalid');
    assert.equal(failure, 'name-not-resolved');
    assert.equal(finding.id, 'engine/name-not-resolved');
    assert.match(finding.title, /cannot resolve the host name "nosuch\.invalid"/);
    assert.match(finding.fix?.summary ?? '', /~\/\.ssh\/config/);
    assert.doesNotMatch(finding.fix?.summary ?? '', /systemctl start docker/);
  });

  it('a TCP port on 127.0.0.1 where nothing listens', async () => {
    const port = await closedPort();
    const { finding, failure } = await doctorAt(`tcp://127.0.0.1:${port}`);
    assert.equal(failure, 'connection-refused');
    assert.equal(finding.id, 'engine/connection-refused');
    assert.match(finding.title, new RegExp(`nothing listens on 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(finding.fix?.summary ?? '', /systemctl start docker/);
  });

  it('an ssh port on 127.0.0.1 where no sshd listens', async () => {
    const port = await closedPort();
    const { finding, failure } = await doctorAt(`ssh://root@127.0.0.1:${port}`);
    assert.equal(failure, 'connection-refused');
    assert.equal(finding.id, 'engine/connection-refused');
    assert.match(finding.title, new RegExp(`the ssh connection to 127\\.0\\.0\\.1:${port} was refused`));
    assert.match(finding.fix?.summary ?? '', /sshd/);
    assert.doesNotMatch(finding.fix?.summary ?? '', /systemctl start docker/);
  });

  it('an ssh alias whose ~/.ssh/config port refuses: the error names the alias and where it led', async () => {
    const port = await closedPort();
    const home = mkdtempSync(join(tmpdir(), 'stowage-ssh-home-'));
    try {
      mkdirSync(join(home, '.ssh'), { mode: 0o700 });
      writeFileSync(join(home, '.ssh', 'config'), ['Host stowage-db-3', '  HostName 127.0.0.1', `  Port ${port}`, ''].join('\n'));
      const { finding, failure } = await doctorAt('ssh://root@stowage-db-3', { HOME: home, SSH_AUTH_SOCK: '' });
      assert.equal(failure, 'connection-refused');
      // before: "the ssh connection to stowage-db-3:22 was refused", a port ssh never tried
      assert.match(finding.title, new RegExp(`the ssh connection to stowage-db-3 \\(127\\.0\\.0\\.1:${port} by ~/\\.ssh/config\\) was refused`));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a TCP port that accepts and resets the connection is not a stopped daemon', async () => {
    // a real server that sends a TCP RST on every connection it accepts (a firewall's or proxy's reject)
    const server = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { finding, failure } = await doctorAt(`tcp://127.0.0.1:${port}`);
      assert.equal(failure, 'connection-reset');
      assert.equal(finding.id, 'engine/unreachable');
      assert.match(finding.title, new RegExp(`127\\.0\\.0\\.1:${port} accepted the connection, then reset it`));
      assert.doesNotMatch(finding.title, /not running/);
      assert.doesNotMatch(finding.fix?.summary ?? '', /systemctl start docker/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/** An HTTP server on 127.0.0.1 that is not a Docker engine: a web app on the port the user mistyped. */
async function httpServer(status: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createHttpServer((_req, res) => {
    res.statusCode = status;
    res.end(status === 200 ? '<html>hello</html>' : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Runs the CLI in a network namespace of its own: nothing there touches the host's network. */
function doctorInNetns(setup: string[], host: string): { code: number | null; stdout: string; stderr: string } {
  const script = [...setup, `exec node ${JSON.stringify(STOWAGE_BIN)} --json -H ${host} doctor --only engine`].join(' && ');
  const r = spawnSync('unshare', ['--net', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('doctor names what answered when it is not a Docker engine, or nothing answered', () => {
  it('an HTTP server that is not Docker', async () => {
    const web = await httpServer(404);
    try {
      // the oracle: the docker CLI cannot use it either (asynchronously: the server runs in this process)
      const cli = await docker(['-H', `tcp://127.0.0.1:${web.port}`, 'version'], { allowFailure: true });
      assert.notEqual(cli.code, 0);
      const { finding, failure } = await doctorAt(`tcp://127.0.0.1:${web.port}`);
      assert.equal(failure, 'not-docker');
      assert.equal(finding.id, 'engine/not-docker');
      assert.match(finding.title, new RegExp(`127\\.0\\.0\\.1:${web.port} answers, but it is not a Docker engine \\(HTTP 404 to GET /version\\)`));
      assert.doesNotMatch(finding.fix?.summary ?? '', /systemctl start docker/);
    } finally {
      await web.close();
    }
  });

  it('a web page that answers 200', async () => {
    const web = await httpServer(200);
    try {
      const { finding } = await doctorAt(`tcp://127.0.0.1:${web.port}`);
      assert.equal(finding.id, 'engine/not-docker');
      assert.match(finding.title, /not a Docker engine \(an answer that is not the Engine API's\)/);
    } finally {
      await web.close();
    }
  });

  it('TLS asked of a port that answers in plain text', async () => {
    const web = await httpServer(404);
    try {
      const { finding } = await doctorAt(`tcp://127.0.0.1:${web.port}`, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' });
      assert.equal(finding.id, 'engine/not-docker');
      assert.match(finding.title, /answers in plain text, not TLS/);
      assert.match(finding.fix?.summary ?? '', /unset DOCKER_TLS_VERIFY/);
    } finally {
      await web.close();
    }
  });

  it('an ssh:// endpoint whose port speaks HTTP, not ssh', async () => {
    const web = await httpServer(404);
    try {
      const { finding, failure } = await doctorAt(`ssh://root@127.0.0.1:${web.port}`);
      assert.equal(failure, 'not-ssh');
      assert.equal(finding.id, 'engine/not-ssh');
      assert.match(finding.title, new RegExp(`127\\.0\\.0\\.1:${web.port} accepts connections, but does not speak ssh`));
    } finally {
      await web.close();
    }
  });

  it('a network with no route to the host', () => {
    // a fresh network namespace has no route at all: connect() fails with ENETUNREACH at once
    const r = doctorInNetns(['true'], 'tcp://10.9.0.2:2375');
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as DoctorJson;
    assert.deepEqual(validate(doc), []);
    const f = doc.result.findings.find((x) => x.id.startsWith('engine/'));
    assert.equal(f?.id, 'engine/host-unreachable', JSON.stringify(f));
    assert.match(f.title, /no connection to 10\.9\.0\.2:2375/);
    assert.doesNotMatch(f.fix?.summary ?? '', /D-state|systemctl start docker/);
  });

  it('an ssh host that never answers, told from a hung daemon', () => {
    // a veth pair whose far end has no address, and a fixed neighbour entry: the SYNs go out and vanish
    const setup = ['ip link add v0 type veth peer name v1', 'ip addr add 10.9.0.1/24 dev v0', 'ip link set v0 up',
      'ip link set v1 up', 'ip neigh add 10.9.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent'];
    const r = doctorInNetns(setup, 'ssh://root@10.9.0.2');
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as DoctorJson;
    const f = doc.result.findings.find((x) => x.id.startsWith('engine/'));
    assert.equal(f?.id, 'engine/host-unreachable', JSON.stringify(f));
    assert.match(f.title, /no connection to 10\.9\.0\.2:22/);
    assert.doesNotMatch(f.fix?.summary ?? '', /D-state/);
  });
});

/** A private sshd on 127.0.0.1 with its own host key, config and authorized key; a temp HOME holds the client key. */
class PrivateSshd {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-sshd-'));
  readonly home = join(this.dir, 'home');
  port = 0;
  private child: ChildProcess | undefined;

  async start(options: { authorize: boolean; forceCommand: string }): Promise<void> {
    mkdirSync(join(this.home, '.ssh'), { recursive: true, mode: 0o700 });
    // sshd refuses to start without its privilege-separation directory
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    const keygen = (file: string) => {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
    };
    keygen(join(this.dir, 'host_key'));
    keygen(join(this.home, '.ssh', 'id_ed25519'));
    const authorized = join(this.dir, 'authorized_keys');
    writeFileSync(authorized, options.authorize ? readFileSync(join(this.home, '.ssh', 'id_ed25519.pub')) : '');
    chmodSync(authorized, 0o600);
    this.port = await closedPort();
    const config = join(this.dir, 'sshd_config');
    writeFileSync(config, [
      `Port ${this.port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(this.dir, 'host_key')}`,
      `AuthorizedKeysFile ${authorized}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', `PidFile ${join(this.dir, 'sshd.pid')}`,
      `ForceCommand ${options.forceCommand}`, '',
    ].join('\n'));
    this.child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    this.child.stderr?.on('data', (d) => { log += d; });
    const deadline = Date.now() + 10_000;
    while (!log.includes('Server listening')) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('doctor through a real sshd on 127.0.0.1', () => {
  // the client key lives in a temp HOME, and no agent is offered
  const clientEnv = (sshd: PrivateSshd) => ({ HOME: sshd.home, SSH_AUTH_SOCK: '' });

  describe('that does not accept our key', () => {
    const sshd = new PrivateSshd();
    before(() => sshd.start({ authorize: false, forceCommand: 'docker system dial-stdio' }));
    after(() => sshd.stop());

    it('says authentication failed, not that the daemon is down', async () => {
      const { finding, failure } = await doctorAt(`ssh://root@127.0.0.1:${sshd.port}`, clientEnv(sshd));
      assert.equal(failure, 'ssh-auth-failed');
      assert.equal(finding.id, 'engine/ssh-auth-failed');
      assert.match(finding.title, new RegExp(`ssh authentication to root@127\\.0\\.0\\.1:${sshd.port} failed`));
      assert.match(finding.fix?.summary ?? '', /ssh-add/);
    });
  });

  describe('whose docker cannot reach its daemon socket', () => {
    const sshd = new PrivateSshd();
    // the real docker CLI on the "remote" side, pointed at a socket that does not exist
    before(() => sshd.start({ authorize: true, forceCommand: 'env DOCKER_HOST=unix:///nonexistent/stowage-test.sock docker system dial-stdio' }));
    after(() => sshd.stop());

    it('says ssh works and the remote socket is the problem', async () => {
      const { finding, failure } = await doctorAt(`ssh://root@127.0.0.1:${sshd.port}`, clientEnv(sshd));
      assert.equal(failure, 'ssh-remote-failed');
      assert.equal(finding.id, 'engine/ssh-remote-failed');
      assert.match(finding.title, /ssh to 127\.0\.0\.1:\d+ works, but the remote docker could not reach its daemon's socket/);
      assert.match(finding.title, /nonexistent\/stowage-test\.sock/, 'the remote stderr is shown');
    });
  });

  describe('without a docker command', () => {
    const sshd = new PrivateSshd();
    before(() => sshd.start({ authorize: true, forceCommand: 'PATH=/nonexistent docker system dial-stdio' }));
    after(() => sshd.stop());

    it('says the remote host has no docker CLI', async () => {
      const { finding, failure } = await doctorAt(`ssh://root@127.0.0.1:${sshd.port}`, clientEnv(sshd));
      assert.equal(failure, 'ssh-remote-failed');
      assert.match(finding.title, /has no `docker` command/);
    });
  });
});

describe('doctor through a real sshd whose docker reaches the host engine', () => {
  const sshd = new PrivateSshd();
  before(() => sshd.start({ authorize: true, forceCommand: 'docker system dial-stdio' }));
  after(() => sshd.stop());

  it('reaches the engine over ssh and reads the same version as `docker version`', async () => {
    const r = await runCli(['--json', '-H', `ssh://root@127.0.0.1:${sshd.port}`, 'doctor', '--only', 'engine'],
      { env: { HOME: sshd.home, SSH_AUTH_SOCK: '' }, timeoutMs: 60_000 });
    assert.doesNotMatch(r.stderr, /DeprecationWarning|DEP0170/);
    const doc = JSON.parse(r.stdout) as { result: { facts: { engine: { reachable: boolean; version?: { version: string } } } } };
    assert.equal(doc.result.facts.engine.reachable, true, r.stdout);
    const oracle = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(doc.result.facts.engine.version?.version, oracle);
  });

  it('follows a Host alias of ~/.ssh/config (HostName, Port, User, IdentityFile) as the ssh binary would', async () => {
    // the key under a name ssh would not try by itself, so only IdentityFile finds it
    renameSync(join(sshd.home, '.ssh', 'id_ed25519'), join(sshd.home, '.ssh', 'build_key'));
    const alias = 'stowage-build-7';
    const config = join(sshd.home, '.ssh', 'config');
    writeFileSync(config, [`Host other ${alias}`, '  HostName 127.0.0.1', `  Port ${sshd.port}`, '  User root',
      '  IdentityFile ~/.ssh/build_key', 'Host *', '  User nobody', '  Port 1', ''].join('\n'));
    try {
      // the oracle for the parse: ssh's own reading of the same file (-G prints what it would use)
      const g = spawnSync('ssh', ['-F', config, '-G', alias], { encoding: 'utf8' }).stdout.split('\n');
      const value = (key: string) => g.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1);
      assert.equal(value('hostname'), '127.0.0.1');
      assert.equal(value('port'), String(sshd.port));
      assert.equal(value('user'), 'root');
      assert.equal(value('identityfile'), '~/.ssh/build_key');
      const r = await runCli(['--json', '-H', `ssh://${alias}`, 'doctor', '--only', 'engine'],
        { env: { HOME: sshd.home, SSH_AUTH_SOCK: '' }, timeoutMs: 60_000 });
      const doc = JSON.parse(r.stdout) as { result: { facts: { engine: { reachable: boolean; version?: { version: string } } } } };
      assert.equal(doc.result.facts.engine.reachable, true, r.stdout);
      const oracle = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).stdout.trim();
      assert.equal(doc.result.facts.engine.version?.version, oracle);
    } finally {
      rmSync(config, { force: true });
      renameSync(join(sshd.home, '.ssh', 'build_key'), join(sshd.home, '.ssh', 'id_ed25519'));
    }
  });
});
