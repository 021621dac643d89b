/**
 * doctor against the host's own engine, the one a user runs it on. What it reports about this host is
 * checked against sources stowage does not read through its own code: `docker info` and `docker version`
 * from the CLI, `findmnt` and `df` (util-linux, coreutils) for the data-root's filesystem, `lsblk` for its disk.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { docker } from '../support/docker-cli.js';

const SEVERITIES = ['error', 'warn', 'info'] as const;

it('stowage doctor on this host: engine, data-root, filesystem, space and disk as docker, findmnt, df and lsblk see them', { timeout: 120_000 }, async () => {
  const json = await runCli(['doctor', '--json', '--quiet']);
  assert.equal(json.stderr, '');
  const doc = JSON.parse(json.stdout);
  assert.deepEqual(schemaValidator('doctor.schema.json')(doc), [], 'the document follows schema/doctor.schema.json');
  const { facts, findings, summary } = doc.result;

  const info = (await docker(['info', '--format', '{{json .}}'])).stdout;
  const engine = JSON.parse(info) as { Driver: string; DockerRootDir: string; ServerVersion: string };
  assert.equal(facts.engine.reachable, true);
  assert.equal(facts.engine.info.storageDriver, engine.Driver);
  assert.equal(facts.engine.version.version, (await docker(['version', '--format', '{{.Server.Version}}'])).stdout.trim());
  assert.equal(facts.dataRoot, engine.DockerRootDir);

  const [fs] = (JSON.parse(execFileSync('findmnt', ['-n', '-J', '-T', engine.DockerRootDir, '-o', 'TARGET,SOURCE,FSTYPE,MAJ:MIN'], { encoding: 'utf8' })) as
    { filesystems: { target: string; source: string; fstype: string; 'maj:min': string }[] }).filesystems;
  assert.equal(facts.disk.mount.mountPoint, fs!.target);
  assert.equal(facts.disk.mount.fsType, fs!.fstype);
  assert.equal(facts.disk.mount.source, fs!.source.replace(/\[.*\]$/, ''), 'findmnt adds the bind-mounted root in brackets');
  assert.equal(`${facts.disk.mount.major}:${facts.disk.mount.minor}`, fs!['maj:min']);

  const [size, used, avail, inodes] = execFileSync('df', ['-B1', '--output=size,used,avail,itotal', engine.DockerRootDir], { encoding: 'utf8' })
    .trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
  assert.equal(facts.disk.space.totalBytes, size);
  assert.equal(facts.disk.space.totalInodes, inodes);
  // free space moves while other work writes: within 1% of the filesystem
  assert.ok(Math.abs(facts.disk.space.availableBytes - avail!) < size! / 100, `available ${facts.disk.space.availableBytes} against df's ${avail}`);
  assert.ok(Math.abs(facts.disk.space.freeBytes - (size! - used!)) < size! / 100, `free ${facts.disk.space.freeBytes} against df's ${size! - used!}`);

  const [disk] = (JSON.parse(execFileSync('lsblk', ['-bndJ', '-o', 'NAME,MAJ:MIN,SIZE,ROTA', facts.disk.mount.source], { encoding: 'utf8' })) as
    { blockdevices: { name: string; 'maj:min': string; size: number; rota: boolean }[] }).blockdevices;
  assert.equal(facts.disk.device.name, disk!.name);
  assert.equal(facts.disk.device.majorMinor, disk!['maj:min']);
  if (facts.disk.device.disk) {
    assert.equal(facts.disk.device.disk.sizeBytes, disk!.size);
    assert.equal(facts.disk.device.disk.rotational, disk!.rota);
  }

  for (const s of SEVERITIES) assert.equal(summary[s], findings.filter((f: { severity: string }) => f.severity === s).length, `summary.${s}`);
  assert.deepEqual(doc.result.groups, ['engine', 'disk', 'io', 'space', 'clutter', 'images']);
  const broken = structuredClone(doc);
  broken.result.findings.push({ id: 'Not An Id', severity: 'fatal', title: '', evidence: [], subject: { kind: 'host', id: 'h' } });
  assert.ok(schemaValidator('doctor.schema.json')(broken).length >= 3, 'the schema rejects a malformed finding');

  // the text report and the exit code follow the findings: exit 1 only with an error (the default --fail-on)
  const text = await runCli(['doctor']);
  assert.equal(text.code, summary.error > 0 ? 1 : 0, `stdout: ${text.stdout}\nstderr: ${text.stderr}`);
  assert.match(text.stdout, /^stowage doctor/);
  assert.match(text.stdout, new RegExp(`\\b${summary.error} error`));
  assert.match(text.stderr, /doctor: probing sync writes/);
});
