/** stowage's reading of ~/.ssh/config against OpenSSH's own (`ssh -G`), on configs with the rules that matter. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshHostConfig } from '../../src/engine/ssh-config.js';

const CONFIG = [
  '# global lines apply to every host',
  'Port 2200',
  '',
  'Host build-? !build-9',
  '  HostName %h.ci.example',
  '  User ops',
  '  IdentityFile ~/.ssh/ci_key',
  'Host build-9',
  '  HostName=10.0.0.9',
  '  User = nine',
  'Host *.example prod-*',
  '  User admin',
  '  Port 2222',
  'Host *',
  '  User everyone',
  '  IdentityFile ~/.ssh/fallback',
  '',
].join('\n');

it('resolves HostName, Port, User and IdentityFile as ssh -G does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-sshcfg-'));
  try {
    const file = join(dir, 'config');
    writeFileSync(file, CONFIG);
    for (const host of ['build-7', 'build-9', 'prod-db', 'web.example', 'other']) {
      const g = spawnSync('ssh', ['-F', file, '-G', host], { encoding: 'utf8' });
      assert.equal(g.status, 0, g.stderr);
      const lines = g.stdout.split('\n');
      const value = (key: string) => lines.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1);
      const mine = sshHostConfig(CONFIG, host);
      // ssh expands %h itself; stowage does it when connecting, so compare after the same expansion
      assert.equal((mine.hostName ?? host).replace('%h', host), value('hostname'), host);
      assert.equal(String(mine.port ?? 22), value('port'), host);
      assert.equal(mine.user, value('user'), host);
      const theirs = lines.filter((l) => l.startsWith('identityfile ')).map((l) => l.slice('identityfile '.length));
      // ssh adds its default key names only when the config names none
      assert.deepEqual(mine.identityFiles, theirs.slice(0, mine.identityFiles.length), host);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
