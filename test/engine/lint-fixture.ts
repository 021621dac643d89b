/**
 * Fixture and oracle helpers for the lint --fix proof (test/engine/lint-fix-build.test.ts) and its bench
 * (bench/lint-fix-build.ts): a 20,000-file app, BuildKit builds, and `docker export` read as a tar.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { DOCKER_CLI, docker } from '../support/docker-cli.js';
import { buildCacheIds, pruneBuildCacheSince } from '../support/build-cache.js';

export const FIXTURE_FILES = 20_000;

/** Writes `count` small files (varied sizes and modes) under dir/app, plus a Dockerfile and .dockerignore. */
export function writeFixture(dir: string, base: string, count = FIXTURE_FILES): { bytes: number; dockerfile: string } {
  let bytes = 0;
  const perDir = 100;
  for (let d = 0; d < Math.ceil(count / perDir); d++) {
    const sub = join(dir, 'app', `pkg${d}`, 'lib');
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < perDir && d * perDir + f < count; f++) {
      const i = d * perDir + f;
      const content = `// module ${i}\nexport const value${i} = ${JSON.stringify('x'.repeat(40 + (i * 7) % 300))};\n`;
      const file = join(sub, `m${f}.js`);
      writeFileSync(file, content);
      chmodSync(file, [0o644, 0o600, 0o755, 0o640][i % 4]!);
      bytes += Buffer.byteLength(content);
    }
  }
  const dockerfile = `FROM ${base}\nCOPY app /app\nRUN chown -R 1000:1000 /app && chmod -R 755 /app\nCMD ["sh"]\n`;
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  writeFileSync(join(dir, '.dockerignore'), 'Dockerfile\n.dockerignore\n');
  return { bytes, dockerfile };
}

export async function build(dir: string, tag: string, noCache = false): Promise<{ ms: number; size: number; id: string }> {
  const cacheBefore = await buildCacheIds();
  const t0 = performance.now();
  await docker(['build', '-q', '--network', 'host', ...(noCache ? ['--no-cache'] : []), '-t', tag, dir], { env: { DOCKER_BUILDKIT: '1' } });
  const ms = performance.now() - t0;
  // the build's cache records go again (after the timing): the suite leaves no build cache behind
  await pruneBuildCacheSince(cacheBefore);
  const { stdout } = await docker(['image', 'inspect', '-f', '{{.Id}} {{.Size}}', tag]);
  const [id, size] = stdout.trim().split(' ');
  return { ms, size: Number(size), id: id! };
}

export interface TarEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  link: string;
  sha256: string;
}

/** `docker export` of a fresh container of the image, as path → entry (mtimes left out). */
export async function exportFilesystem(image: string): Promise<Map<string, TarEntry>> {
  const { stdout } = await docker(['create', image, 'sh']);
  const container = stdout.trim();
  try {
    const tar = await new Promise<Buffer>((resolve, reject) => {
      execFile(DOCKER_CLI, ['export', container], { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    return parseTar(tar);
  } finally {
    await docker(['rm', '-f', '-v', container], { allowFailure: true });
  }
}

function parseTar(buf: Buffer): Map<string, TarEntry> {
  const entries = new Map<string, TarEntry>();
  let off = 0;
  let paxPath: string | undefined;
  let longName: string | undefined;
  const str = (s: number, n: number) => buf.subarray(s, s + n).toString('utf8').replace(/\0.*$/s, '');
  const num = (s: number, n: number) => parseInt(str(s, n).trim() || '0', 8);
  while (off + 512 <= buf.length) {
    const h = off;
    if (buf.subarray(h, h + 512).every((b) => b === 0)) break;
    const size = num(h + 124, 12);
    const type = String.fromCharCode(buf[h + 156]!) || '0';
    const data = buf.subarray(h + 512, h + 512 + size);
    off = h + 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      paxPath = m?.[1];
      continue;
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const prefix = str(h + 345, 155);
    const name = (paxPath ?? longName ?? (prefix ? `${prefix}/${str(h, 100)}` : str(h, 100))).replace(/\/$/, '');
    paxPath = undefined;
    longName = undefined;
    entries.set(name, {
      type: type === '\0' ? '0' : type,
      mode: num(h + 100, 8) & 0o7777,
      uid: num(h + 108, 8),
      gid: num(h + 116, 8),
      size,
      link: str(h + 157, 100),
      sha256: type === '0' || type === '\0' ? createHash('sha256').update(data).digest('hex') : '',
    });
  }
  return entries;
}

/** Runs `stowage lint` in-process and returns exit code and stdout. */
export async function stowageLint(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const io = { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: () => undefined }, env: { NO_COLOR: '1' } };
  const code = await main(['lint', ...args], io);
  return { code, stdout };
}

