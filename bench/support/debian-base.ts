/**
 * The benchmarks' Debian base image: a minbase rootfs from debootstrap (network to Debian's mirror), imported
 * once as stowage-bench/debian-minbase:bookworm and kept. Real packages, real file counts, nothing pulled
 * from Docker Hub.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_CLI } from '../../test/support/docker-cli.js';

export const DEBIAN_BASE = 'stowage-bench/debian-minbase:bookworm';

/** Builds DEBIAN_BASE unless the engine has it (needs root and debootstrap: see NEEDS.debootstrap). */
export function ensureDebianBase(): void {
  if (spawnSync(DOCKER_CLI, ['image', 'inspect', DEBIAN_BASE], { stdio: 'ignore' }).status === 0) return;
  const root = mkdtempSync(join(tmpdir(), 'stowage-debootstrap-'));
  try {
    console.error(`building ${DEBIAN_BASE} with debootstrap (once)...`);
    execFileSync('debootstrap', ['--variant=minbase', 'bookworm', root], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tar = spawnSync('tar', ['--numeric-owner', '--xattrs', '-C', root, '-c', '.'], { maxBuffer: 4 * 1024 ** 3 });
    if (tar.status !== 0) throw new Error(`tar of the debootstrap rootfs failed: ${tar.stderr.toString().trim()}`);
    execFileSync(DOCKER_CLI, ['import', '-c', 'CMD ["/bin/bash"]', '-', DEBIAN_BASE], { input: tar.stdout, stdio: ['pipe', 'ignore', 'inherit'] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
