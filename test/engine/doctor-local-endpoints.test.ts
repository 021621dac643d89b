/**
 * Which engines are this host's (issue 20): a private engine reached over tcp://127.0.0.1 gets its disk
 * checks, on the disk findmnt names for its data-root; the same kind of engine in a UTS namespace of its own
 * (another host name, as behind an ssh tunnel or a VM's forwarded port) does not get this host's disk judged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { isLocalEndpoint, parseHostUrl, thisHost } from '../../src/engine/endpoint.js';
import { docker } from '../support/docker-cli.js';
import { freePort } from '../support/free-port.js';
import { schemaValidator } from '../support/json-schema.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { runCli } from '../support/run-cli.js';

const validate = schemaValidator('doctor.schema.json');

interface DoctorJson {
  result: {
    facts: {
      engine: { reachable: boolean; info?: { name: string; dockerRootDir: string } };
      dataRoot: string;
      disk?: { mount?: { mountPoint: string; fsType: string } };
      skipped: { group: string; reason: string }[];
    };
  };
}

async function doctorJson(host: string, only: string): Promise<DoctorJson> {
  const r = await runCli(['--json', '-H', host, 'doctor', '--only', only], { timeoutMs: 120_000 });
  const doc = JSON.parse(r.stdout) as DoctorJson;
  assert.deepEqual(validate(doc), [], 'the document follows schema/doctor.schema.json');
  return doc;
}

describe('a private engine on tcp://127.0.0.1', () => {
  let daemon: PrivateDaemon;
  before(async () => {
    daemon = new PrivateDaemon({ tcpPort: await freePort() });
    await daemon.start();
  });
  after(() => daemon.destroy());

  it('is this host\'s engine: doctor judges the disk under its data-root', async () => {
    const url = `tcp://127.0.0.1:${daemon.tcpPort}`;
    const doc = await doctorJson(url, 'engine,disk');
    const { facts } = doc.result;
    assert.equal(facts.engine.reachable, true, JSON.stringify(facts.engine));
    assert.deepEqual(facts.skipped, []);
    // the oracles: the engine's own answer over the same port, and findmnt for the mount under it
    const root = (await docker(['-H', url, 'info', '--format', '{{.DockerRootDir}}'])).stdout.trim();
    assert.equal(facts.dataRoot, root);
    assert.equal(root, daemon.dataRoot);
    const [target, fsType] = execFileSync('findmnt', ['-n', '-o', 'TARGET,FSTYPE', '-T', root], { encoding: 'utf8' }).trim().split(/\s+/);
    assert.equal(facts.disk?.mount?.mountPoint, target);
    assert.equal(facts.disk?.mount?.fsType, fsType);
  });
});

describe('a private engine with a host name of its own, on tcp://127.0.0.1', () => {
  let daemon: PrivateDaemon;
  const other = `stw-other-${process.pid}`.slice(0, 30);
  before(async () => {
    daemon = new PrivateDaemon({ tcpPort: await freePort(), hostName: other });
    await daemon.start();
  });
  after(() => daemon.destroy());

  it('is a forwarded port to another host: this host\'s disk is not judged for it', async () => {
    const url = `tcp://127.0.0.1:${daemon.tcpPort}`;
    const name = (await docker(['-H', url, 'info', '--format', '{{.Name}}'])).stdout.trim();
    assert.equal(name, other, 'the oracle: the engine itself names another host');
    assert.notEqual(name, hostname());
    const doc = await doctorJson(url, 'engine,disk,io');
    const { facts } = doc.result;
    assert.equal(facts.engine.reachable, true);
    assert.equal(facts.disk, undefined, 'no disk facts from this host');
    const reasons = facts.skipped.filter((s) => s.group === 'disk' || s.group === 'io');
    assert.equal(reasons.length, 2, JSON.stringify(facts.skipped));
    for (const r of reasons) assert.match(r.reason, new RegExp(`leads to the engine of host "${other}", not this host`));
  });
});

describe('this host by name or by address', () => {
  it('counts the host\'s own name and interface addresses as local, and others not', () => {
    const self = thisHost();
    const at = (url: string) => isLocalEndpoint({ url, transport: parseHostUrl(url, { env: {}, homeDir: '/root' }), source: 'test', skipped: [] }, self);
    assert.equal(at(`tcp://${self.hostname}:2375`), true);
    assert.equal(at(`ssh://root@${self.hostname.toUpperCase()}`), true);
    // the oracle for the addresses: iproute2's list of this host's addresses on interfaces that are up and
    // running (a bridge with no port, docker0 on an idle host, has no carrier, and Node does not list it)
    const ipJson = JSON.parse(execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' })) as { flags: string[]; addr_info: { local: string; family: string }[] }[];
    const addresses = ipJson.filter((l) => l.flags.includes('UP') && l.flags.includes('LOWER_UP'))
      .flatMap((l) => l.addr_info).filter((a) => a.family === 'inet').map((a) => a.local);
    assert.ok(addresses.length > 0);
    for (const a of addresses) assert.equal(at(`tcp://${a}:2375`), true, a);
    for (const url of ['tcp://192.0.2.254:2375', 'tcp://build-7:2376', 'ssh://ops@build-7.invalid', `tcp://${self.hostname}x:2375`]) {
      if (addresses.includes(new URL(url).hostname)) continue;
      assert.equal(at(url), false, url);
    }
  });
});
