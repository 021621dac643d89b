/** What ships under deploy/ for `stowage watch`, checked by the tools that consume it (promtool). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const promtool = (...args: string[]) => spawnSync('/usr/bin/promtool', args, { cwd: `${DEPLOY}prometheus`, encoding: 'utf8' });

describe('deploy/prometheus', () => {
  it('promtool check rules passes the alert rules', () => {
    const r = promtool('check', 'rules', 'stowage-alerts.yml');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 8 rules found/);
  });

  it('promtool test rules passes the rules\' unit tests (firing and quiet cases for each alert)', () => {
    const r = promtool('test', 'rules', 'stowage-alerts.test.yml');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });
});
