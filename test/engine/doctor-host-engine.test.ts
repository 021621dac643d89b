/** doctor against the host's own engine, the one a user runs it on: it must find no error there. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

it('stowage doctor on this host: no error finding, exit 0, a report on stdout and progress on stderr', async () => {
  const result = await runCli(['doctor']);
  assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.match(result.stdout, /^stowage doctor/);
  assert.match(result.stdout, /0 error/);
  assert.match(result.stderr, /doctor: probing sync writes/);
  const json = await runCli(['doctor', '--json', '--quiet']);
  assert.equal(json.stderr, '');
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.result.summary.error, 0);
  assert.equal(doc.result.facts.engine.reachable, true);
  assert.deepEqual(doc.result.groups, ['engine', 'disk', 'io', 'space', 'clutter', 'images']);
  assert.deepEqual(schemaValidator('doctor.schema.json')(doc), [], 'the document follows schema/doctor.schema.json');
  const broken = structuredClone(doc);
  broken.result.findings.push({ id: 'Not An Id', severity: 'fatal', title: '', evidence: [], subject: { kind: 'host', id: 'h' } });
  assert.ok(schemaValidator('doctor.schema.json')(broken).length >= 3, 'the schema rejects a malformed finding');
});
