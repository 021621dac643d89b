import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeThresholds, parseByteSize, parseRatio, parseThresholdConfig } from '../../src/analyze/thresholds.js';
import { BadInputError, UsageError } from '../../src/errors.js';

test('dive .dive-ci keys are read (highestUserWastedPercent maps to the wasted share)', () => {
  const text = `# dive CI rules
rules:
  # If the efficiency is measured below X%, mark as failed.
  lowestEfficiency: 0.95
  highestWastedBytes: 20MB
  highestUserWastedPercent: 0.20
`;
  assert.deepEqual(parseThresholdConfig(text, '.dive-ci'), { lowestEfficiency: 0.95, highestWastedBytes: 20_000_000, highestWastedShare: 0.2 });
  assert.deepEqual(parseThresholdConfig('rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: "1MiB"\n', 'x'), { highestWastedBytes: 1_048_576 });
});

test('JSON config with an analyze section; flags override the file', () => {
  const file = parseThresholdConfig('{"analyze": {"highestMetadataBytes": "5MB", "highestWastedShare": "10%", "highestLayers": 40}}', 'stowage.json');
  assert.deepEqual(file, { highestMetadataBytes: 5_000_000, highestWastedShare: 0.1, highestLayers: 40 });
  assert.deepEqual(mergeThresholds(file, { highestLayers: 80 }), { highestMetadataBytes: 5_000_000, highestWastedShare: 0.1, highestLayers: 80 });
});

test('sizes and ratios: units, percentages and bad values', () => {
  assert.equal(parseByteSize('1.5G', 'x'), 1_500_000_000);
  assert.equal(parseByteSize('512KiB', 'x'), 524_288);
  assert.equal(parseByteSize('1000', 'x'), 1000);
  assert.equal(parseRatio('95%', 'x'), 0.95);
  assert.throws(() => parseByteSize('lots', '--highest-wasted-bytes'), UsageError);
  assert.throws(() => parseRatio('1.5', '--lowest-efficiency'), UsageError);
  assert.throws(() => parseThresholdConfig('lowestEfficiency: 3', '.dive-ci'), BadInputError);
  assert.throws(() => parseThresholdConfig('{ nope', 'c.json'), BadInputError);
});
