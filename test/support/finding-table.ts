/**
 * Holds a capability's finding table (src/<capability>/finding-ids.ts) to what a reader sees: every id is in
 * the README section its `doc` anchor names, with each of its severities in that row, and matches the
 * finding schema's id pattern; the capability's sources name no id as a bare string literal, and every row
 * is raised somewhere (a row nothing raises documents a finding that never comes).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FindingInfo } from '../../src/findings.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ID_LITERAL = /'((?:engine|disk|io|space|clutter|image|bench|dockerfile|watch)\/[a-z0-9-]+)'/g;

/** The README text under the heading GitHub gives `anchor` (repeated headings get -1, -2…), to the next heading as high. */
export function readmeSection(anchor: string): string {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const lines = readme.split('\n');
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const h = /^(#+) (.*)$/.exec(lines[i]!);
    if (!h) continue;
    const base = h[2]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    if ((n ? `${base}-${n}` : base) !== anchor) continue;
    const level = h[1]!.length;
    const end = lines.findIndex((l, j) => j > i && /^(#+) /.test(l) && /^(#+)/.exec(l)![1]!.length <= level);
    return lines.slice(i + 1, end < 0 ? undefined : end).join('\n');
  }
  throw new Error(`no README heading with anchor #${anchor}`);
}

export function checkFindingTable(capability: string, table: Readonly<Record<string, FindingInfo>>, raisedElsewhere: Record<string, string> = {}): void {
  const rows = Object.entries(table);
  assert.ok(rows.length > 0);
  const ids = rows.map(([, r]) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');

  const schema = JSON.parse(readFileSync(`${root}schema/finding.schema.json`, 'utf8')) as { properties: { id: { pattern: string } } };
  const pattern = new RegExp(schema.properties.id.pattern);
  for (const id of ids) assert.match(id, pattern, `${id} matches the finding schema's id pattern`);

  for (const [, row] of rows) {
    assert.ok(row.doc.startsWith('README.md#'), `${row.id}: doc is a README anchor`);
    assert.ok(row.meaning.length > 0 && !row.meaning.includes('\n'), `${row.id}: one-line meaning`);
    const line = readmeSection(row.doc.slice('README.md#'.length)).split('\n').find((l) => l.startsWith('|') && l.split('|')[1]!.includes(`\`${row.id}\``));
    assert.ok(line, `${row.id} has a row in ${row.doc}`);
    const severityCell = line.split('|')[2]!;
    for (const s of row.severities) assert.match(severityCell, new RegExp(`\\b${s}\\b`), `${row.id}: the README gives severity ${s}`);
  }

  const dir = `${root}src/${capability}`;
  const sources = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && f !== 'finding-ids.ts').map((f) => [f, readFileSync(`${dir}/${f}`, 'utf8')] as const);
  const literals = sources.flatMap(([f, text]) => [...text.matchAll(ID_LITERAL)].map((m) => `${f}: ${m[1]}`));
  assert.deepEqual(literals, [], `src/${capability} names ids only through its finding table`);

  const all = sources.map(([, text]) => text).join('\n');
  for (const [key, row] of rows) {
    const via = raisedElsewhere[key];
    const raised = via ? all.includes(via) : all.includes(`.${key}.id`);
    assert.ok(raised, `${row.id} (${key}) is raised in src/${capability}`);
  }
}
