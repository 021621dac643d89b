/** stowage report's inputs: kinds told from the published schemas, bad input refused by name, the page's data read back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BadInputError, ExitCode } from '../../src/errors.js';
import { jsonForScript } from '../../src/render/html/escape.js';
import { parseReportInput, REPORT_KINDS, REQUIRED_RESULT_FIELDS, toReportDocument } from '../../src/render/html/report-input.js';
import { PLAIN_DATA_LIMIT, renderReportPage } from '../../src/render/html/report-page.js';
import { schemaValidator } from '../support/json-schema.js';
import { diskDocument, HOSTILE_TEXT, hostileBuildDocument, largeStartDocument } from '../support/report-fixtures.js';

const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

test('the fields report requires are the ones each schema requires', () => {
  for (const kind of REPORT_KINDS) {
    const schema = JSON.parse(readFileSync(`${SCHEMA_DIR}${kind.replace(' ', '-')}.schema.json`, 'utf8'));
    assert.equal(schema.properties.command.const, kind);
    assert.deepEqual([...REQUIRED_RESULT_FIELDS[kind]].sort(), [...schema.properties.result.required].sort(), kind);
  }
});

test('the fixtures are documents the schemas accept', () => {
  assert.deepEqual(schemaValidator('bench-build.schema.json')(hostileBuildDocument()), []);
  assert.deepEqual(schemaValidator('bench-start.schema.json')(largeStartDocument(50, [[10, 11], [30]])), []);
  assert.deepEqual(schemaValidator('bench-disk.schema.json')(JSON.parse(JSON.stringify(diskDocument()))), []);
});

test('embedded JSON cannot end its script element and reads back unchanged', () => {
  const value = { s: `</script><script>alert(1)</script><!-- \u2028\u2029 & ${HOSTILE_TEXT}` };
  const text = jsonForScript(value);
  assert.doesNotMatch(text, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(text), value);
});

function refused(text: string, pattern: RegExp): void {
  assert.throws(() => parseReportInput(text, 'in.json'), (err: unknown) => {
    assert.ok(err instanceof BadInputError, String(err));
    assert.equal(err.exitCode, ExitCode.badInput);
    assert.match(err.message, /^in\.json: /);
    assert.match(err.message, pattern);
    return true;
  });
}

test('bad input is refused with the file named and why', () => {
  const good = JSON.stringify(hostileBuildDocument(), null, 2);
  refused(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'), /not a stowage --json document/);
  refused(good.slice(0, Math.floor(good.length / 2)), /not valid JSON, truncated/);
  refused(good.replace('"schemaVersion": 1', '"schemaVersion": 2'), /schemaVersion 2 is not one this stowage reads \(1\)/);
  refused(JSON.stringify({ schemaVersion: 1, command: 'analyze', stowageVersion: '0.1.0', generatedAt: 'x', error: { code: 'bad-input', exitCode: 4, message: 'no such image', hint: null } }),
    /error document of `stowage analyze` \(no such image\)/);
  refused(JSON.stringify({ schemaVersion: 1, command: 'lint', stowageVersion: '0.1.0', generatedAt: 'x', result: { files: [] } }), /`stowage lint` document, which report does not render/);
  refused(good.replace('"runs"', '"ruins"'), /lacks runs/);
  refused('', /empty/);
  refused('<!DOCTYPE html><html><body>hello</body></html>', /HTML file that is not a page stowage report wrote/);
  const noFindings = hostileBuildDocument() as { result: { findings: unknown } };
  noFindings.result.findings = 'none';
  refused(JSON.stringify(noFindings), /findings is not an array/);
});

test('a page gives back the documents it was made from, plain or compressed when large', () => {
  const small = [toReportDocument(hostileBuildDocument(), 'build.json')];
  const page = renderReportPage(small);
  assert.deepEqual(parseReportInput(page, 'page.html').map((d) => d.document), small.map((d) => d.document));
  const large = [...small, toReportDocument(largeStartDocument(10_000, [[50, 51], [9_000]]), 'start.json')];
  assert.ok(JSON.stringify(large.map((d) => d.document)).length > PLAIN_DATA_LIMIT, 'the large input is over the plain limit');
  const big = renderReportPage(large);
  assert.ok(Buffer.byteLength(big) < 2_000_000, `page of ${Buffer.byteLength(big)} bytes`);
  assert.match(big, /"encoding":"gzip\+base64"/);
  assert.deepEqual(parseReportInput(big, 'page.html').map((d) => d.document), large.map((d) => d.document));
});

test('Python\'s HTML parser finds the hostile names as text, never as markup', () => {
  const page = renderReportPage([toReportDocument(hostileBuildDocument(), 'build.json')]);
  const script = `
import sys, json
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = []; self.attrs = []; self.text = []; self.chart_titles = 0
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag); self.attrs += [k for k, v in attrs]
        if tag == "title" and any(k == "id" and v.endswith("-title") for k, v in attrs): self.chart_titles += 1
    def handle_data(self, d):
        self.text.append(d)
p = P(); p.feed(sys.stdin.read()); p.close()
print(json.dumps({"scripts": p.tags.count("script"), "titles": p.chart_titles, "on": [a for a in p.attrs if a.startswith("on")], "text": "".join(p.text)}))
`;
  const r = spawnSync('python3', ['-c', script], { input: page, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.stdout) as { scripts: number; titles: number; on: string[]; text: string };
  assert.equal(parsed.scripts, 1, 'one script element: the embedded data');
  assert.deepEqual(parsed.on, []);
  const charts = (page.match(/<svg /g) ?? []).length;
  assert.ok(charts >= 2);
  assert.equal(parsed.titles, charts, 'a title for every chart');
  assert.ok(parsed.text.includes(`Dockerfile.${HOSTILE_TEXT}`), 'the Dockerfile name is shown as text, decoded');
});

test('the CLI reads a document from stdin (-) and writes the page to stdout (-o -)', () => {
  const bin = fileURLToPath(new URL('../../../bin/stowage', import.meta.url));
  const doc = JSON.stringify(hostileBuildDocument());
  const r = spawnSync(process.execPath, [bin, 'report', '-', '-o', '-'], { input: doc, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^<!DOCTYPE html>/);
  assert.match(r.stdout, /From <code>stdin<\/code>/);
  assert.deepEqual(parseReportInput(r.stdout, 'page').map((d) => d.document), [JSON.parse(doc)]);
  const both = spawnSync(process.execPath, [bin, '--json', 'report', '-', '-o', '-'], { input: doc, encoding: 'utf8' });
  assert.equal(both.status, 2, 'the page and the --json document cannot share stdout');
  assert.equal(JSON.parse(both.stdout).error.code, 'usage');
});
