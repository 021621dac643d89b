/**
 * A real registry for tests and benches: Debian's `docker-registry` (distribution) on 127.0.0.1 with a
 * config and a storage directory of its own. dockerd treats 127.0.0.0/8 registries as insecure by default,
 * so push and pull need no daemon change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { LocalServer } from './local-server.js';
import { REGISTRY_BIN, registryConfig } from '../../src/host/registry-server.js';

export { REGISTRY_BIN };

export class LocalRegistry {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-registry-'));
  port = 0;
  private server: LocalServer | undefined;

  /** `127.0.0.1:PORT`, the prefix of image names pushed here. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 30_000): Promise<this> {
    this.port = await freePort();
    const config = join(this.dir, 'config.yml');
    // the same config stowage's own registry (src/host/registry-server.ts) runs with; tests keep a
    // synchronous stop() for their exit handlers
    writeFileSync(config, registryConfig(join(this.dir, 'storage'), this.port));
    this.server = new LocalServer({
      name: 'docker-registry', bin: REGISTRY_BIN, args: ['serve', config], dir: this.dir, readyUrl: `http://${this.address}/v2/`, termGraceMs: 5_000,
    });
    await this.server.start(timeoutMs);
    return this;
  }

  /**
   * Stops the registry and removes its directory once the process has exited (it writes there until it
   * does); throws when the process outlives SIGKILL.
   */
  stop(): void {
    // the server removes the directory once it has exited; one never started leaves only its config
    if (this.server) this.server.stop();
    else rmSync(this.dir, { recursive: true, force: true });
    this.server = undefined;
  }
}
