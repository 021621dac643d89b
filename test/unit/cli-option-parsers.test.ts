import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import {
  parseChoiceFlag, parseChoiceListFlag, parseDurationFlag, parseNumberFlag, parsePercentFlag, parseSizeFlag,
} from '../../src/cli/option-parsers.js';
import { main } from '../../src/cli/main.js';

const usage = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof UsageError && message.test(err.message));

test('numbers: ranges, whole numbers, nothing that only looks like one', () => {
  assert.equal(parseNumberFlag('10', '--top', { integer: true, min: 0 }), 10);
  assert.equal(parseNumberFlag('0.5', '--factor', { min: 0 }), 0.5);
  assert.equal(parseNumberFlag('1e3', '--n'), 1000);
  usage(() => parseNumberFlag('1.5', '--top', { integer: true, min: 0 }), /^--top takes a whole number >= 0, not "1\.5"$/);
  usage(() => parseNumberFlag('-1', '--top', { integer: true, min: 0 }), /--top/);
  usage(() => parseNumberFlag('', '--top'), /not ""/);
  usage(() => parseNumberFlag('0x10', '--top'), /0x10/);
  usage(() => parseNumberFlag('12abc', '--top'), /12abc/);
  usage(() => parseNumberFlag('101', '--pct', { min: 0, max: 100 }), /^--pct takes a number from 0 to 100, not "101"$/);
  assert.equal(parseNumberFlag('1.5', '--stall-factor', { above: 0 }), 1.5);
  usage(() => parseNumberFlag('0', '--stall-factor', { above: 0 }), /^--stall-factor takes a number greater than 0, not "0"$/);
});

test('sizes: decimal units as docker prints them, binary with i', () => {
  assert.equal(parseSizeFlag('1G', '--size'), 1e9);
  assert.equal(parseSizeFlag('20MB', '--size'), 20e6);
  assert.equal(parseSizeFlag('500MiB', '--size'), 500 * 1024 ** 2);
  assert.equal(parseSizeFlag('1.5Gi', '--size'), 1.5 * 1024 ** 3);
  assert.equal(parseSizeFlag('4096', '--size'), 4096);
  usage(() => parseSizeFlag('1Q', '--size'), /^--size takes a size \(e\.g\. 20MB, 512MiB, 1G or a number of bytes\), not "1Q"$/);
  usage(() => parseSizeFlag('-5M', '--size'), /-5M/);
});

test('durations: ms, s, m, h; a bare number in the unit the flag documents', () => {
  assert.equal(parseDurationFlag('30s', '--duration'), 30_000);
  assert.equal(parseDurationFlag('5m', '--duration'), 300_000);
  assert.equal(parseDurationFlag('1.5h', '--duration'), 5_400_000);
  assert.equal(parseDurationFlag('250ms', '--duration'), 250);
  assert.equal(parseDurationFlag('2', '--duration'), 2000);
  assert.equal(parseDurationFlag('1500', '--window', 'ms'), 1500);
  usage(() => parseDurationFlag('61s', '--window', 'ms', { min: 0, max: 60_000 }), /^--window takes a duration from 0 ms to 60000 ms/);
  usage(() => parseDurationFlag('soon', '--duration'), /not "soon"$/);
  usage(() => parseDurationFlag('5 days', '--duration'), /5 days/);
});

test('percentages: a share or a percentage, within 0..1', () => {
  assert.equal(parsePercentFlag('0.95', '--lowest-efficiency'), 0.95);
  assert.equal(parsePercentFlag('95%', '--lowest-efficiency'), 0.95);
  assert.equal(parsePercentFlag('0%', '--x'), 0);
  usage(() => parsePercentFlag('150%', '--x'), /150%/);
  usage(() => parsePercentFlag('%', '--x'), /"%"/);
  usage(() => parsePercentFlag('', '--x'), /""/);
});

test('enums and lists of them, exactly as written', () => {
  assert.equal(parseChoiceFlag('export', '--source', ['auto', 'export'] as const), 'export');
  usage(() => parseChoiceFlag('Export', '--source', ['auto', 'export'] as const), /^--source takes auto, export, not "Export"$/);
  assert.deepEqual(parseChoiceListFlag('disk, io', '--only', ['disk', 'io', 'space'] as const), ['disk', 'io']);
  assert.deepEqual(parseChoiceListFlag(undefined, '--only', ['disk'] as const), []);
  usage(() => parseChoiceListFlag('disk,net', '--only', ['disk', 'io'] as const), /"net"/);
});

test('doctor reads its flags with them: a bad --window or --fail-on is exit 2 naming the flag', async () => {
  for (const [argv, message] of [[['doctor', '--window', '2 min'], /--window takes a duration/], [['doctor', '--fail-on', 'fatal'], /--fail-on takes info, warn, error, not "fatal"/]] as const) {
    let stderr = '';
    const io = { stdout: { write: () => undefined }, stderr: { write: (s: string) => { stderr += s; } }, env: {} };
    assert.equal(await main([...argv], io), 2);
    assert.match(stderr, message);
  }
});
