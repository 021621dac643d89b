/**
 * doctor's wall time with 200 images present, beside `docker system df` on the same engine in the same
 * run; then again after adding large images, to show doctor's time does not grow with layer bytes.
 * Run: npm run build && node dist/bench/doctor.js   (needs root, dockerd and busybox-static)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfs, DOCKER_CLI } from '../test/support/docker-cli.js';
import { PrivateDaemon } from '../test/support/private-daemon.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { noteBundleState } from './support/bundle-state.js';

requirePrerequisites('bench/doctor', ['root', 'engine', NEEDS.dockerd, NEEDS.ip, NEEDS.busybox, NEEDS.tar]);
noteBundleState();

const RUNS = 7;
const bin = fileURLToPath(new URL('../../bin/stowage', import.meta.url));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t;
}

/** doctor in full (its I/O window is 1 s by design), doctor without the io group, and docker system df. */
function measure(daemon: PrivateDaemon, label: string): { doctor: number; df: number } {
  const doctor: number[] = [];
  const noIo: number[] = [];
  const df: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    doctor.push(timeMs(process.execPath, [bin, '--host', daemon.host, 'doctor', '--json', '--quiet'], {}));
    noIo.push(timeMs(process.execPath, [bin, '--host', daemon.host, 'doctor', '--json', '--quiet', '--skip', 'io'], {}));
    df.push(timeMs(DOCKER_CLI, ['system', 'df'], daemon.env));
  }
  const result = { doctor: median(doctor), df: median(df) };
  const skipIo = median(noIo);
  console.log(`${label}: doctor ${result.doctor.toFixed(0)} ms (with its 1 s I/O window), doctor --skip io ${skipIo.toFixed(0)} ms, `
    + `docker system df ${df.length ? result.df.toFixed(0) : '?'} ms; ratios ${(result.doctor / result.df).toFixed(1)} and ${(skipIo / result.df).toFixed(1)} (medians of ${RUNS})`);
  return result;
}

function importImage(daemon: PrivateDaemon, rootfs: string, tag: string): void {
  const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 2 * 1024 ** 3 });
  execFileSync(DOCKER_CLI, ['import', '-', tag], { input: tar.stdout, env: { ...process.env, ...daemon.env }, stdio: ['pipe', 'ignore', 'inherit'], maxBuffer: 1024 ** 2 });
}

const daemon = new PrivateDaemon();
const rootfs = busyboxRootfs();
const big = mkdtempSync(join(tmpdir(), 'stowage-bench-big-'));
try {
  await daemon.start();
  console.log(`private engine at ${daemon.host}, data-root ${daemon.dataRoot}`);
  for (let i = 0; i < 200; i++) {
    writeFileSync(join(rootfs, 'id'), `${i}\n`);
    importImage(daemon, rootfs, `bench/small-${i}:latest`);
  }
  const small = measure(daemon, '200 images (2 MB each)');
  spawnSync('sh', ['-c', `head -c ${300 * 1024 * 1024} /dev/urandom > ${join(big, 'blob')}`]);
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(big, 'id'), `${i}\n`);
    importImage(daemon, big, `bench/big-${i}:latest`);
  }
  const large = measure(daemon, '203 images (+3 x 300 MB)');
  console.log(`doctor with large images / without: ${(large.doctor / small.doctor).toFixed(2)} (target: about 1, and doctor <= 2000 ms)`);
} finally {
  await daemon.destroy();
  rmSync(rootfs, { recursive: true, force: true });
  rmSync(big, { recursive: true, force: true });
}
