/** doctor's finding table (src/doctor/finding-ids.ts) against the README, the schema and doctor's sources. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { DOCTOR_FINDINGS } from '../../src/doctor/finding-ids.js';
import { checkFindingTable } from '../support/finding-table.js';

it('documents every doctor finding id in the README, and doctor names ids only through its table', () => {
  assert.ok(Object.keys(DOCTOR_FINDINGS).length >= 40);
  checkFindingTable('doctor', DOCTOR_FINDINGS, { imageLayerDepth: 'layerDepthFinding(' });
});
