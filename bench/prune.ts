/**
 * prune's plan time beside `docker system df -v` on the same private engine in the same run (issue 14's
 * target: the plan in at most 1.5x the time of `docker system df -v`). The images are imports of one rootfs,
 * so they share their layer and prune must read every image's layers (the slow path).
 * Run: npm run build && node dist/bench/prune.js [IMAGES=500] [CONTAINERS=2000]   (needs root, dockerd, busybox-static)
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { busyboxRootfs, DOCKER_CLI } from '../test/support/docker-cli.js';
import { PrivateDaemon } from '../test/support/private-daemon.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/prune', ['root', 'engine', NEEDS.dockerd, NEEDS.ip, NEEDS.busybox, NEEDS.tar]);

const RUNS = 5;
const IMAGES = Number(process.argv[2] ?? 500);
const CONTAINERS = Number(process.argv[3] ?? 2000);
const bin = fileURLToPath(new URL('../../bin/stowage', import.meta.url));
const run = promisify(execFile);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 * 1024 ** 2 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t;
}

const daemon = new PrivateDaemon();
const rootfs = busyboxRootfs();
try {
  await daemon.start();
  const env = { ...process.env, ...daemon.env };
  const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 ** 2 }).stdout;
  for (let i = 0; i < IMAGES; i++) {
    execFileSync(DOCKER_CLI, ['import', '-', `stowage-bench/prune-${i % 50}:${i}`], { input: tar, env, stdio: ['pipe', 'ignore', 'inherit'] });
  }
  for (let i = 0; i < CONTAINERS; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, CONTAINERS - i) }, (_, j) =>
      run(DOCKER_CLI, ['create', '--network', 'none', `stowage-bench/prune-${(i + j) % 50}:${(i + j) % IMAGES}`, 'true'], { env })));
  }
  console.log(`private engine at ${daemon.host}: ${IMAGES} images, ${CONTAINERS} stopped containers`);
  const plan: number[] = [];
  const df: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    plan.push(timeMs(process.execPath, [bin, '--host', daemon.host, '--json', '--quiet', 'prune', '--images', 'unused', '--volumes', 'all', '--networks'], {}));
    df.push(timeMs(DOCKER_CLI, ['system', 'df', '-v'], daemon.env));
  }
  const p = median(plan);
  const d = median(df);
  console.log(`plan (stowage prune --images unused --volumes all --networks, no --apply): ${p.toFixed(0)} ms; docker system df -v: ${d.toFixed(0)} ms; `
    + `ratio ${(p / d).toFixed(2)} (target <= 1.5: ${p / d <= 1.5 ? 'met' : 'not met'}; medians of ${RUNS}; spreads ${Math.min(...plan).toFixed(0)}-${Math.max(...plan).toFixed(0)} and ${Math.min(...df).toFixed(0)}-${Math.max(...df).toFixed(0)} ms)`);
} finally {
  rmSync(rootfs, { recursive: true, force: true });
  await daemon.destroy();
}
