/** Every finding id doctor's checks can raise is in the README's finding table. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

it('documents every doctor finding id in the README', () => {
  const dir = `${root}src/doctor`;
  const ids = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(`${dir}/${file}`, 'utf8').matchAll(/'((?:engine|disk|io|space|clutter|image)\/[a-z0-9-]+)'/g)) ids.add(m[1]!);
  }
  assert.ok(ids.size >= 30, `found the ids in the sources: ${[...ids]}`);
  for (const id of ['engine/name-not-resolved', 'engine/unusable-filesystem', 'disk/ext4-no-journal', 'space/container-logs', 'io/high-iowait']) {
    assert.ok(ids.has(id), id);
  }
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const table = readme.slice(readme.indexOf('### Finding ids'), readme.indexOf('## `stowage lint`'));
  const missing = [...ids].filter((id) => !table.includes(`\`${id}\``));
  assert.deepEqual(missing, []);
});
