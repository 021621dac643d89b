/** analyze's finding table (src/analyze/finding-ids.ts) against the README, the schema and analyze's sources. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ANALYZE_FINDINGS, ANALYZE_FINDING_IDS } from '../../src/analyze/finding-ids.js';
import { checkFindingTable } from '../support/finding-table.js';

it('documents every analyze finding id in the README, and analyze names ids only through its table', () => {
  assert.deepEqual([...ANALYZE_FINDING_IDS].sort(), ['image/layer-depth', 'image/low-efficiency', 'image/metadata-copy', 'image/wasted-bytes']);
  checkFindingTable('analyze', ANALYZE_FINDINGS, { layerDepth: 'layerDepthFinding(' });
});
