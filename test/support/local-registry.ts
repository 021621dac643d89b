/**
 * A real registry for tests and benches: Debian's `docker-registry` (distribution) on 127.0.0.1 with a
 * config and a storage directory of its own. dockerd treats 127.0.0.0/8 registries as insecure by default,
 * so push and pull need no daemon change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExitUndo, processAlive, release, sleepSync } from './exit-cleanup.js';
import { freePort } from './free-port.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';


export class LocalRegistry {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-registry-'));
  port = 0;
  private child: ChildProcess | undefined;

  /** `127.0.0.1:PORT`, the prefix of image names pushed here. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 30_000): Promise<this> {
    this.port = await freePort();
    const config = join(this.dir, 'config.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(this.dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${this.port}`,
      '',
    ].join('\n'));
    const log = openSync(join(this.dir, 'registry.log'), 'a');
    this.child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    // a timed-out test must not keep its process alive through the registry; the exit handler stops it
    this.child.unref();
    // stopped also when the test fails or times out before stop(), or its process is killed
    onExitUndo(this, () => { this.stop(); });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      const ok = await fetch(`http://${this.address}/v2/`).then((r) => r.status === 200, () => false);
      if (ok) return this;
      await new Promise((r) => setTimeout(r, 200));
    }
    const text = readFileSync(join(this.dir, 'registry.log'), 'utf8');
    this.stop();
    throw new Error(`docker-registry did not start on ${this.address}: ${text.slice(-2000)}`);
  }

  /**
   * Stops the registry and removes its directory once the process has exited (it writes there until it
   * does); throws when the process outlives SIGKILL.
   */
  stop(): void {
    const pid = this.child?.pid;
    if (pid !== undefined && processAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 5_000;
      while (processAlive(pid) && Date.now() < deadline) sleepSync(50);
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while (processAlive(pid) && Date.now() < killDeadline) sleepSync(50);
      if (processAlive(pid)) throw new Error(`docker-registry ${pid} outlived SIGKILL; ${this.dir} stays`);
    }
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    release(this);
  }
}
