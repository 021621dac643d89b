/** watch's finding table (src/watch/finding-ids.ts) against the README, the schema and watch's sources. */
import { it } from 'node:test';
import { WATCH_FINDINGS } from '../../src/watch/finding-ids.js';
import { checkFindingTable } from '../support/finding-table.js';

it('documents every watch finding id in the README, and watch names ids only through its table', () => {
  checkFindingTable('watch', WATCH_FINDINGS);
});
