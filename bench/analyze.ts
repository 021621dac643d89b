/**
 * analyze's speed and memory on a real image of at least 400 MB (a Debian rootfs from debootstrap plus
 * packages), printed beside the baselines measured in the same run: `docker save > /dev/null` of the same
 * image, and `tar -cf - <layer dirs> | wc -c` (reading the same bytes with nothing else to do: the floor).
 * Run: npx tsc -p . && node dist/bench/analyze.js [--big]   (root, dockerd with overlay2, debootstrap, network to Debian's mirror)
 * The image is built once and kept (stowage-bench/analyze-debian:1); --big also builds and measures a ~2.6 GB image.
 * The floor and analyze from overlay2 are medians of 3 runs; the others run once (docker save of 2.6 GB takes ~20 s).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOCKER_CLI } from '../test/support/docker-cli.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { DEBIAN_BASE, ensureDebianBase } from './support/debian-base.js';

requirePrerequisites('bench/analyze', ['root', 'engine', 'overlay2', NEEDS.debootstrap, NEEDS.tar]);

const IMAGE = 'stowage-bench/analyze-debian:1';
const BIG = 'stowage-bench/analyze-big:1';
const lib = fileURLToPath(new URL('../src/analyze/analyze-image.js', import.meta.url));

function sh(cmd: string, args: string[], input?: Buffer): string {
  return execFileSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'inherit'] }).toString('utf8');
}

function imageExists(tag: string): boolean {
  return spawnSync(DOCKER_CLI, ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

function build(tag: string, dockerfile: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-ctx-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    execFileSync(DOCKER_CLI, ['build', '-q', '--network', 'host', '-t', tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ensureImages(big: boolean): void {
  ensureDebianBase();
  if (!imageExists(IMAGE)) {
    console.error(`building ${IMAGE} (once)...`);
    build(IMAGE, [
      `FROM ${DEBIAN_BASE}`,
      'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential python3 perl git curl ca-certificates',
      'RUN useradd -m app && cp -a /usr/share/doc /home/app/doc && chown -R app:app /home/app',
      'RUN chmod -R o-w /usr/lib/python3*',
      'RUN rm -rf /var/lib/apt/lists/* /var/cache/apt/*',
      'ENV LANG=C.UTF-8',
    ].join('\n'));
  }
  if (big && !imageExists(BIG)) {
    console.error(`building ${BIG} (once)...`);
    build(BIG, [
      `FROM ${IMAGE}`,
      'RUN mkdir /blob && for i in $(seq 1 12); do head -c 100000000 /dev/urandom > /blob/part$i; done',
      'RUN cp -a /usr /usr-copy',
    ].join('\n'));
  }
}

function imageBytes(tag: string): number {
  return Number(sh(DOCKER_CLI, ['image', 'inspect', '-f', '{{.Size}}', tag]).trim());
}

function layerDirs(tag: string): string[] {
  const data = JSON.parse(sh(DOCKER_CLI, ['image', 'inspect', '-f', '{{json .GraphDriver.Data}}', tag])) as Record<string, string>;
  return [...(data.LowerDir ? data.LowerDir.split(':').reverse() : []), data.UpperDir!];
}

function timed(cmd: string, args: string[], shell = false): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], shell, maxBuffer: 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t;
}

/** Runs analyze in a child so its peak RSS is its own; returns wall time and maxRSS. */
function analyzeChild(reference: string, source: string, allDigests = false): Promise<{ ms: number; rssMb: number; bytes: number; layers: number }> {
  const script = `
    const { analyzeImage } = await import(${JSON.stringify(lib)});
    const t = performance.now();
    const r = await analyzeImage({ reference: ${JSON.stringify(reference)}, source: ${JSON.stringify(source)}, allDigests: ${allDigests} });
    const ms = performance.now() - t;
    console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024, bytes: r.totals.tarBytes, layers: r.layers.length }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`analyze child exited ${code}`))));
  });
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);

async function measure(tag: string): Promise<void> {
  const size = imageBytes(tag);
  const dirs = layerDirs(tag);
  console.log(`\n${tag}: ${mb(size)} MB, ${dirs.length} layers`);
  // Warm the page cache for every reader alike: this measures CPU and format cost, not the disk.
  timed('sh', ['-c', `tar -P -cf - ${dirs.join(' ')} > /dev/null`]);
  const floor = median([1, 2, 3].map(() => timed('sh', ['-c', `tar -P -cf - ${dirs.join(' ')} | wc -c > /dev/null`])));
  const save = timed('sh', ['-c', `${DOCKER_CLI} save ${tag} > /dev/null`]);
  const directRuns = [await analyzeChild(tag, 'overlay2'), await analyzeChild(tag, 'overlay2'), await analyzeChild(tag, 'overlay2')];
  const direct = directRuns.sort((a, b) => a.ms - b.ms)[1]!;
  const directAll = await analyzeChild(tag, 'overlay2', true);
  const stream = await analyzeChild(tag, 'export');
  const archive = join(tmpdir(), `stowage-bench-${process.pid}.tar`);
  try {
    timed('sh', ['-c', `${DOCKER_CLI} save -o ${archive} ${tag}`]);
    const archiveBytes = statSync(archive).size;
    timed('cat', [archive]);
    const fromArchive = await analyzeChild(archive, 'archive');
    const rows: [string, number, string][] = [
      ['tar -cf - <layer dirs> | wc -c (floor)', floor, ''],
      ['docker save > /dev/null', save, ''],
      ['stowage analyze (overlay2 direct)', direct.ms, `peak RSS ${direct.rssMb.toFixed(0)} MB`],
      ['  same, hashing every file (what flatten needs)', directAll.ms, `peak RSS ${directAll.rssMb.toFixed(0)} MB`],
      ['stowage analyze --source export', stream.ms, `peak RSS ${stream.rssMb.toFixed(0)} MB`],
      ['stowage analyze image.tar (archive)', fromArchive.ms, `${mbps(archiveBytes, fromArchive.ms)} MB/s of archive, peak RSS ${fromArchive.rssMb.toFixed(0)} MB`],
    ];
    for (const [label, ms, extra] of rows) console.log(`  ${label.padEnd(42)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${mbps(size, ms).padStart(5)} MB/s  ${extra}`);
    console.log(`  ratios: docker save / analyze direct = ${(save / direct.ms).toFixed(1)}x (target >= 5x); analyze direct / floor = ${(direct.ms / floor).toFixed(2)}x; `
      + `docker save / analyze direct hashing everything = ${(save / directAll.ms).toFixed(1)}x; `
      + `archive input ${mbps(archiveBytes, fromArchive.ms)} MB/s (target >= 200)`);
  } finally {
    rmSync(archive, { force: true });
  }
}

const big = process.argv.includes('--big');
ensureImages(big);
await measure(IMAGE);
if (big) await measure(BIG);
