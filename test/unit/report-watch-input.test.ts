/**
 * stowage report's watch snapshots: the NDJSON that the real `stowage watch --json` prints is read as one
 * document (checked against schema/watch-event.schema.json by another validator), and a line of anything
 * else is refused naming the file and the line, exit 4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError, ExitCode } from '../../src/errors.js';
import { parseReportInput, WATCH_EVENT_REQUIRED } from '../../src/render/html/report-input.js';
import { renderReportPage } from '../../src/render/html/report-page.js';
import { schemaValidator } from '../support/json-schema.js';
import { runCli } from '../support/run-cli.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const SCHEMA = fileURLToPath(new URL('../../../schema/watch-event.schema.json', import.meta.url));

test('the fields report requires of each watch event are the ones the schema requires', () => {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Json;
  const fromSchema = Object.fromEntries((schema.oneOf as Json[]).map((b) => [b.properties.type.const, [...b.required].sort()]));
  assert.deepEqual(Object.fromEntries(Object.entries(WATCH_EVENT_REQUIRED).map(([k, v]) => [k, [...v].sort()])), fromSchema);
});

describe('a watch snapshot from the real stowage watch', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-input-'));
  let text = '';
  let lines: Json[] = [];

  before(async () => {
    // --data-root: watch reads /proc and /sys for this path's device and needs no engine; a custom burst
    // model with a tiny bucket gives the credit estimate (and usually a finding) within three readings
    const r = await runCli(['watch', '--json', '--count', '3', '--interval', '200ms', '--data-root', dir,
      '--burst-model', 'custom', '--baseline-iops', '10', '--burst-iops', '3000', '--bucket-credits', '5400']);
    assert.equal(r.code, 0, r.stderr);
    text = r.stdout;
    lines = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Json);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('is read as one watch document with every event, and survives a page round trip', () => {
    const validate = schemaValidator('watch-event.schema.json');
    for (const e of lines) assert.deepEqual(validate(e), [], `${e.type} event follows the schema`);
    assert.equal(lines.filter((e) => e.type === 'reading').length, 3);
    const docs = parseReportInput(text, 'watch.ndjson');
    assert.equal(docs.length, 1);
    const doc = docs[0]!;
    assert.equal(doc.kind, 'watch');
    assert.deepEqual(doc.document.result.events, lines);
    assert.deepEqual(doc.document.result.findings, lines.filter((e) => e.type === 'finding' && e.state === 'raised').map((e) => e.finding));
    const page = renderReportPage(docs);
    assert.match(page, /data-chart="watch-timeline"/);
    assert.equal((page.match(/class="finding-mark /g) ?? []).length, lines.filter((e) => e.type === 'finding').length);
    const again = parseReportInput(page, 'page.html');
    assert.equal(again[0]!.kind, 'watch');
    assert.deepEqual(again[0]!.document.result.events, lines);
  });

  function refused(input: string, pattern: RegExp): void {
    assert.throws(() => parseReportInput(input, 'in.ndjson'), (err: unknown) => {
      assert.ok(err instanceof BadInputError, String(err));
      assert.equal(err.exitCode, ExitCode.badInput);
      assert.match(err.message, pattern);
      return true;
    });
  }

  test('a line that is not a watch event is refused with the file and line named', () => {
    const real = text.split('\n').filter((l) => l.trim());
    const n = real.length;
    refused([...real, 'garbage'].join('\n'), new RegExp(`^in\\.ndjson line ${n + 1}: not a JSON event`));
    refused([real[0], '{"oops": true}', ...real.slice(1)].join('\n'), /^in\.ndjson line 2: not a stowage watch event \(no type\)/);
    refused([...real.slice(0, -1), real[n - 1]!.slice(0, 40)].join('\n'), new RegExp(`^in\\.ndjson line ${n}: not a JSON event`));
    refused([real[0], real[1]!.replace('"schemaVersion":1', '"schemaVersion":2')].join('\n'), /^in\.ndjson line 2: schemaVersion 2 is not one this stowage reads \(1\)/);
    refused([real[0], '{"schemaVersion":1,"type":"gossip"}'].join('\n'), /^in\.ndjson line 2: a watch event of type "gossip"/);
    refused([real[0], '{"schemaVersion":1,"type":"finding","state":"raised"}'].join('\n'), /^in\.ndjson line 2: the finding event lacks finding/);
    refused([real[0], '{"schemaVersion":1,"type":"reading","reading":{"at":"2026-01-01T00:00:00Z","sample":{},"active":[]}}'].join('\n'), /^in\.ndjson line 2: the reading's sample lacks readIops/);
    refused([real[0], '{"schemaVersion":1,"type":"finding","state":"gone","finding":{}}'].join('\n'), /^in\.ndjson line 2: the finding event's state "gone"/);
  });
});
