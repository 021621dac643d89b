/**
 * Issue 16's re-seed of an ephemeral data-root: the boot unit that runs `stowage migrate import DIR` once
 * docker.service has started (after the disk's own boot unit), checked by `systemd-analyze verify`, which also
 * proves its ExecStart names an executable; --reseed without --ephemeral is a usage error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralUnitName, reseedUnitName, reseedUnitText } from '../../src/provision/boot-units.js';
import { stowageBin } from '../../src/provision/provision-steps.js';

test('the re-seed unit runs migrate import after docker.service and the disk\'s boot unit, and passes systemd-analyze verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-reseed-unit-'));
  try {
    const store = join(dir, 'store');
    mkdirSync(store);
    const where = '/var/lib/docker-disk';
    const text = reseedUnitText(stowageBin({}), store, ephemeralUnitName(where));
    assert.match(text, /^Requires=docker\.service$/m);
    assert.match(text, /^After=docker\.service stowage-mkfs-var-lib-docker\\x2ddisk\.service$/m);
    assert.match(text, new RegExp(`^ExecStart=/\\S+/bin/stowage migrate import ${store}$`, 'm'));
    assert.match(text, new RegExp(`^ConditionPathIsDirectory=${store}$`, 'm'));
    const path = join(dir, reseedUnitName(where));
    assert.equal(reseedUnitName(where), 'stowage-reseed-var-lib-docker\\x2ddisk.service');
    writeFileSync(path, text);
    const verify = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
    // a unit whose ExecStart is not there fails the same check (the check can fail)
    writeFileSync(path, reseedUnitText(join(dir, 'no-such-stowage'), store, ephemeralUnitName(where)));
    assert.notEqual(spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' }).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--reseed without --ephemeral, or with a relative path, is a usage error (exit 2)', async () => {
  const { main } = await import('../../src/cli/main.js');
  const run = async (args: string[]) => {
    const io = { stdout: { write: () => undefined }, stderr: { write: () => undefined }, env: {} };
    return main(args, io);
  };
  assert.equal(await run(['provision', 'plan', '--device', '/dev/null', '--reseed', '/srv/store']), 2);
  assert.equal(await run(['provision', 'plan', '--device', '/dev/null', '--ephemeral', '--reseed', 'store']), 2);
});
