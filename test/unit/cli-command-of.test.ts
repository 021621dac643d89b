import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandOf, main } from '../../src/cli/main.js';

test('the command a command line names is found past global options and their values', () => {
  assert.equal(commandOf(['flatten', 'img']), 'flatten');
  assert.equal(commandOf(['-H', 'unix:///x.sock', '--json', 'lint', 'Dockerfile']), 'lint');
  assert.equal(commandOf(['--context', 'doctor', 'analyze', 'img']), 'analyze', 'a context named like a command is a value');
  assert.equal(commandOf(['--host=tcp://h:2375', '-q', 'bench', 'disk']), 'bench');
  assert.equal(commandOf(['--json']), undefined);
  assert.equal(commandOf([]), undefined);
});

test('help lists every command whichever is loaded; an unknown command is a usage error', async () => {
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) }, env: {} };
  assert.equal(await main(['--help'], io as never), 0);
  for (const name of ['doctor', 'bench', 'analyze', 'lint', 'flatten']) assert.match(out.join(''), new RegExp(`\\n  ${name} `));
  out.length = 0;
  assert.equal(await main(['no-such-command'], io as never), 2);
  assert.match(out.join(''), /unknown command/);
});
