/**
 * Test-side helpers around the real docker CLI and engine: building fixtures and reading Docker's own
 * answers as the oracle. Production code never does this; it goes through src/engine.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { withBuildCacheCleanup } from './build-cache.js';

/** Debian's docker.io client has BuildKit built in; a newer standalone client may lack buildx. */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the docker CLI; rejects with its stderr when it fails, unless `allowFailure`. */
export function docker(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; allowFailure?: boolean; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(DOCKER_CLI, args, {
      env: { DOCKER_BUILDKIT: '1', ...process.env, ...options.env },
      maxBuffer: 512 * 1024 * 1024,
      cwd: options.cwd,
      encoding: 'utf8',
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      if (err && !options.allowFailure) reject(new Error(`docker ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve({ stdout, stderr, code });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export const BUSYBOX_IMAGE = 'stowage-test/busybox:latest';
const BUSYBOX_LABEL = 'dev.stowage.test.recipe';
const BUSYBOX_RECIPE = '2';
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'chown', 'chmod', 'rm', 'mkdir', 'cp', 'sleep', 'true', 'date', 'dd',
  'sync', 'touch', 'mv', 'ln', 'head', 'wc', 'sha256sum', 'find', 'env', 'id', 'stat', 'seq', 'printf', 'tar', 'xargs', 'sed', 'grep'];

/** A rootfs directory with a static busybox, its applets as symlinks, and root in passwd/group. */
export function busyboxRootfs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-rootfs-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
  mkdirSync(join(dir, 'etc'));
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\napp:x:1000:\n');
  return dir;
}

/** Imports the static busybox base image into the engine at `host` (default engine when undefined). */
export async function ensureBusybox(env: NodeJS.ProcessEnv = {}): Promise<string> {
  // the label versions the recipe, so an image left by an older recipe is rebuilt
  const present = await docker(['image', 'inspect', '-f', `{{index .Config.Labels "${BUSYBOX_LABEL}"}}`, BUSYBOX_IMAGE], { env, allowFailure: true });
  if (present.code === 0 && present.stdout.trim() === BUSYBOX_RECIPE) return BUSYBOX_IMAGE;
  const rootfs = busyboxRootfs();
  try {
    const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    await docker(['import', '-c', 'ENV PATH=/bin', '-c', 'CMD ["/bin/sh"]', '-c', `LABEL ${BUSYBOX_LABEL}=${BUSYBOX_RECIPE}`, '-', BUSYBOX_IMAGE], { input: tar.stdout, env });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}

/**
 * Builds a Dockerfile given as text (plus extra context files) with BuildKit; returns the image id. The
 * build's cache records on the host engine are removed again: only the image stays, for the caller to remove.
 */
export async function buildImage(tag: string, dockerfile: string, files: Record<string, string | Buffer> = {}, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-ctx-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    const build = () => docker(['build', '-q', '--network', 'host', '-t', tag, dir], { env });
    // a private engine's cache goes with its data-root, and tests there may look at it
    await (env.DOCKER_HOST ? build() : withBuildCacheCleanup(build));
    const { stdout } = await docker(['image', 'inspect', '-f', '{{.Id}}', tag], { env });
    return stdout.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function removeImages(names: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  if (names.length) await docker(['rmi', '-f', ...names], { env, allowFailure: true });
}
