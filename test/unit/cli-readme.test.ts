import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(`${ROOT}README.md`, 'utf8');

test('the README stands alone: every link and path it names is inside the repository', () => {
  const outside = [...README.matchAll(/(?:\]\(|`)(\.\.\/[^)`\s]+)/g)].map((m) => m[1]).filter((p) => !p!.startsWith('../context.js'))
    // the test corpora are data the suite reads beside the checkout (CI lays them there), not documentation
    .filter((p) => !p!.startsWith('../shared/corpus/'));
  assert.deepEqual(outside, [], 'no ../ path out of the repository');
  for (const [, target] of README.matchAll(/\]\(([^)#][^)]*)\)/g)) {
    if (/^https?:/.test(target!)) continue;
    assert.ok(existsSync(`${ROOT}${target}`), `README links to ${target}, which exists`);
  }
});

test('exit code 7 is "verification failed" and 70 "internal error" everywhere they are explained', async () => {
  const table = /\| 7 \| verification failed[^\n]*\n(?:\| \d \| [^\n]*\n)*\| 70 \| internal error/;
  assert.match(README, table);
  assert.doesNotMatch(README, /70 verification failed|exit 70 and nothing written/);
  let help = '';
  const io = { stdout: { write: (s: string) => { help += s; } }, stderr: { write: () => undefined }, env: {} };
  assert.equal(await main(['flatten', '--help'], io), 0);
  assert.match(help, /7 verification failed \(nothing was written\), 70 internal error/);
});
