/** bench's finding table (src/bench/finding-ids.ts) against the README, the schema and bench's sources. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { BENCH_FINDINGS } from '../../src/bench/finding-ids.js';
import { checkFindingTable } from '../support/finding-table.js';

it('documents every bench finding id in the README, and bench names ids only through its table', () => {
  assert.equal(Object.keys(BENCH_FINDINGS).length, 9);
  checkFindingTable('bench', BENCH_FINDINGS);
});
