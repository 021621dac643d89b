/**
 * doctor's per-image space table against `docker system df -v` on a private engine (issue 20): two images on
 * one base, one with a container; every row's size, shared and unique bytes and container count must be
 * what the docker CLI prints, to the precision it prints.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { runDoctor } from '../../src/doctor/doctor.js';
import type { ImageSpaceRow } from '../../src/doctor/image-space.js';
import { buildImage, docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { schemaValidator } from '../support/json-schema.js';
import { runCli } from '../support/run-cli.js';

/** A size as the docker CLI prints it (`1.983MB`, `28B`), with half a step of its last digit as the tolerance. */
function parseHuman(text: string): { bytes: number; tolerance: number } {
  const m = /^([\d.]+)([kMGTP]?B)$/.exec(text);
  assert.ok(m, `a docker size: ${text}`);
  const scale = 1000 ** ['B', 'kB', 'MB', 'GB', 'TB', 'PB'].indexOf(m[2]!);
  const decimals = m[1]!.split('.')[1]?.length ?? 0;
  return { bytes: Number(m[1]) * scale, tolerance: (scale / 10 ** decimals) / 2 };
}

function near(ours: number | undefined, theirs: string, what: string): void {
  const { bytes, tolerance } = parseHuman(theirs);
  assert.ok(ours !== undefined && Math.abs(ours - bytes) <= tolerance + 1e-6, `${what}: ours ${ours}, docker ${theirs}`);
}

describe('the per-image table of doctor --verbose and --json', () => {
  const daemon = new PrivateDaemon();
  before(async () => {
    await daemon.start();
    await ensureBusybox(daemon.env);
  });
  after(() => daemon.destroy());

  it('matches docker system df -v row by row', async () => {
    const base = await ensureBusybox(daemon.env);
    const a = uniqueName('stowage-test/space-a');
    const b = uniqueName('stowage-test/space-b');
    await buildImage(a, `FROM ${base}\nCOPY big /big\n`, { big: randomBytes(300_000) }, daemon.env);
    await buildImage(b, `FROM ${base}\nCOPY small /small\n`, { small: randomBytes(20_000) }, daemon.env);
    await docker(['create', '--name', uniqueName('stowage-space-user'), '--network', 'none', a, 'true'], { env: daemon.env });

    const report = await runDoctor({ connect: { host: daemon.host }, only: ['space'] });
    const rows = report.facts.imageSpace;
    assert.ok(rows);
    const df = JSON.parse((await docker(['system', 'df', '-v', '--format', '{{json .Images}}'], { env: daemon.env })).stdout) as
      { ID: string; Repository: string; Tag: string; Size: string; SharedSize: string; UniqueSize: string; Containers: string }[];
    assert.equal(rows.length, df.length);
    for (const d of df) {
      const r: ImageSpaceRow | undefined = rows.find((x) => x.id === d.ID);
      assert.ok(r, `row for ${d.ID}`);
      assert.equal(r.repository, d.Repository);
      assert.equal(r.tag, d.Tag);
      assert.equal(String(r.containers), d.Containers);
      near(r.size, d.Size, `${d.Repository} size`);
      near(r.sharedSize, d.SharedSize, `${d.Repository} shared`);
      near(r.uniqueSize, d.UniqueSize, `${d.Repository} unique`);
    }
    const rowA = rows.find((r) => r.repository === a)!;
    assert.equal(rowA.containers, 1);
    assert.ok(rowA.uniqueSize! >= 300_000, 'image a holds its own 300 kB');
    assert.equal(rows[0]!.repository, a, 'most unique bytes first');

    const text = await runCli(['-H', daemon.host, 'doctor', '--only', 'space', '--verbose']);
    const line = text.stdout.split('\n').find((l) => l.trim().startsWith(a));
    assert.ok(line, text.stdout);
    assert.deepEqual(line.trim().split(/\s{3,}/).slice(0, 3), [a, 'latest', rowA.id.slice(7, 19)]);
    assert.match(line, /\s1$/, 'one container uses it');

    const json = await runCli(['--json', '-H', daemon.host, 'doctor', '--only', 'space']);
    const doc = JSON.parse(json.stdout) as { result: { facts: { imageSpace: { id: string; uniqueSize: number }[] } } };
    assert.deepEqual(schemaValidator('doctor.schema.json')(doc), [], 'the document follows schema/doctor.schema.json');
    assert.deepEqual(doc.result.facts.imageSpace.map((r) => [r.id, r.uniqueSize]), rows.map((r) => [r.id, r.uniqueSize]));
  });
});
