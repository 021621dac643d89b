import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../src/findings.js';
import { unifiedDiff } from '../../src/lint/unified-diff.js';
import { escapeData, escapeProperty, renderGithubAnnotation } from '../../src/render/github-annotations.js';
import { sarifLog } from '../../src/render/sarif.js';

const finding: Finding = {
  id: 'dockerfile/copy-then-chown',
  severity: 'warn',
  title: 'COPY then chown, duplicated: 100%',
  evidence: [{ label: 'bytes duplicated (estimate)', value: 2_000_000, unit: 'bytes' }],
  fix: { summary: 'Fold it' },
  subject: { kind: 'dockerfile', id: 'svc a/Dockerfile', range: { startLine: 3, startColumn: 5, endLine: 4, endColumn: 9 } },
};

test('sarif: 2.1.0 log with rules, levels, 1-based regions (exclusive end column) and encoded URIs', () => {
  const log = sarifLog([finding, { ...finding, id: 'other/id', severity: 'info', subject: { kind: 'path', id: 'x' } }], {
    toolName: 'stowage', toolVersion: '0.1.0', rules: [{ id: 'dockerfile/copy-then-chown', title: 't', severity: 'warn', helpUri: 'docs/rules/copy-then-chown.md' }],
  }) as { version: string; runs: { tool: { driver: { rules: { id: string; defaultConfiguration: { level: string } }[] } }; results: Record<string, unknown>[] }[] };
  assert.equal(log.version, '2.1.0');
  const run = log.runs[0]!;
  assert.equal(run.tool.driver.rules[0]!.defaultConfiguration.level, 'warning');
  const [a, b] = run.results as { ruleIndex?: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region?: unknown } }[] }[];
  assert.equal(a!.ruleIndex, 0);
  assert.equal(a!.level, 'warning');
  assert.match(a!.message.text, /bytes duplicated \(estimate\): 2.00 MB/);
  assert.equal(a!.locations[0]!.physicalLocation.artifactLocation.uri, 'svc%20a/Dockerfile');
  assert.deepEqual(a!.locations[0]!.physicalLocation.region, { startLine: 3, startColumn: 5, endLine: 4, endColumn: 10 });
  assert.equal(b!.ruleIndex, undefined);
  assert.equal(b!.level, 'note');
  assert.equal(b!.locations[0]!.physicalLocation.region, undefined);
});

test('github annotations: escaping of data and properties; columns only on one line', () => {
  assert.equal(escapeData('50%\r\nnext'), '50%25%0D%0Anext');
  assert.equal(escapeProperty('a:b,c'), 'a%3Ab%2Cc');
  const line = renderGithubAnnotation(finding);
  assert.equal(line.split('\n').length, 1);
  assert.match(line, /^::warning file=svc a\/Dockerfile,line=3,endLine=4,title=dockerfile\/copy-then-chown%3A COPY then chown%2C duplicated%3A 100%25::/);
  assert.match(line, /%0Abytes duplicated \(estimate\): 2.00 MB%0Afix: Fold it$/);
  const one = renderGithubAnnotation({ ...finding, severity: 'info', subject: { kind: 'dockerfile', id: 'D', range: { startLine: 1, startColumn: 2, endLine: 1, endColumn: 3 } } });
  assert.match(one, /^::notice file=D,line=1,endLine=1,col=2,endColumn=3,/);
});

test('unified diff: hunks with context, insertions, deletions, CRLF-insensitive, empty when equal', () => {
  const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n';
  const b = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\nl9\nl10\nl11\n';
  assert.equal(unifiedDiff(a, a, 'a', 'b'), '');
  assert.equal(unifiedDiff(a, b, 'a', 'b'), [
    '--- a', '+++ b', '@@ -2,9 +2,10 @@', ' l2', ' l3', ' l4', '-l5', '+L5', ' l6', ' l7', ' l8', ' l9', ' l10', '+l11', ''].join('\n'));
  assert.equal(unifiedDiff('x\n', '', 'a', 'b'), '--- a\n+++ b\n@@ -1,1 +0,0 @@\n-x\n');
  assert.equal(unifiedDiff('FROM a\r\nRUN x\r\n', 'FROM a\r\n', 'a', 'b'), '--- a\n+++ b\n@@ -1,2 +1,1 @@\n FROM a\n-RUN x\n');
});
