/**
 * Issue 20: a long step is not silent in a log. The plain sink (stderr is a file or a pipe) prints a line per
 * step, and on a step that runs long a line with its amount and the time the command has run, at most every
 * PLAIN_EVERY_MS; the image reader reports its layer directories as one counted step, not a path per layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClock } from '../../src/clock.js';
import { PLAIN_EVERY_MS, PlainProgress, progressSink } from '../../src/cli/progress-sinks.js';

function sink() {
  let text = '';
  return { stream: { write: (s: string) => { text += s; }, isTTY: false }, text: () => text };
}

test('plain progress: a line per step, then the amount and elapsed time on a long step, at most every 10 s', () => {
  const clock = new TestClock();
  const out = sink();
  const p = new PlainProgress(out.stream, 'flatten', clock);
  p.update({ step: 'reading the layer directories', done: 0, total: 33, unit: 'items' });
  for (let i = 1; i <= 33; i++) p.update({ step: 'reading the layer directories', done: i, total: 33, unit: 'items' });
  p.update({ step: 'writing the squashed layer', done: 0, total: 476_000_000, unit: 'bytes' });
  for (let s = 1; s <= 25; s++) {
    clock.advance(1000);
    p.update({ step: 'writing the squashed layer', done: s * 10_000_000, total: 476_000_000, unit: 'bytes' });
  }
  p.end();
  assert.equal(out.text(), [
    'flatten: reading the layer directories',
    'flatten: writing the squashed layer',
    'flatten: writing the squashed layer 100 MB of 476 MB (21%) [10.0 s]',
    'flatten: writing the squashed layer 200 MB of 476 MB (42%) [20.0 s]',
    '',
  ].join('\n'));
  assert.equal(PLAIN_EVERY_MS, 10_000);
});

test('plain progress through progressSink: a pipe gets the plain sink with the clock (amounts on long steps)', () => {
  const clock = new TestClock();
  const out = sink();
  const p = progressSink('auto', out.stream, clock, 'analyze');
  p.update({ step: 'hashing', done: 1, unit: 'items' });
  clock.advance(PLAIN_EVERY_MS);
  p.update({ step: 'hashing', done: 2, unit: 'items' });
  assert.equal(out.text(), 'analyze: hashing\nanalyze: hashing 2 items [10.0 s]\n');
});
