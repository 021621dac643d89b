/**
 * flatten on a deep image (30+ layers, several hundred MB, built locally), printed in one run beside the
 * baselines measured on the same image:
 * - `stowage flatten` (verified, and with --no-verify), timed as the CLI a user runs,
 * - `docker export | docker import` (which loses the config: Env, Cmd, WorkingDir, User... are gone), of an
 *   existing container, and with the `docker create` and `docker rm` that exporting an image takes,
 * - `docker build --squash` when the daemon has experimental features (said so when it has not),
 * - HelloBench-style pull+run from a local registry (`docker-registry` on 127.0.0.1) into an empty private
 *   daemon, before and after flattening.
 * The flatten and export|import rounds run on a private daemon whose data-root is a fresh ext4 (with a
 * journal, as mkfs.ext4 makes it) on a loop device, the image copied there with docker save | docker load.
 * This machine's root ext4 has no journal, and without one ext4 skips every inode freed in the last one to
 * six minutes when it allocates a new one (recently_deleted() in fs/ext4/ialloc.c): each run's thousands of
 * creates slowed down after the previous run's removal, by up to 4x, and so by the order of the runs.
 * Before each run the input's layer files are read (the page cache warm for both sides, see settle()).
 * Run: npm run build && node dist/bench/flatten.js   (root, dockerd with overlay2, docker-registry and debootstrap
 * installed; the deep image's Debian base comes from debootstrap, see support/debian-base.ts)
 * The deep image is built once and kept (stowage-bench/flatten-deep:1).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlattenResult } from '../src/flatten/flatten-image.js';
import { formatBytes, formatDuration } from '../src/render/format.js';
import { median } from '../src/stats.js';
import { BUSYBOX_IMAGE, DOCKER_CLI, ensureBusybox } from '../test/support/docker-cli.js';
import { LocalRegistry } from '../test/support/local-registry.js';
import { LoopDisk } from '../test/support/loop-disk.js';
import { PrivateDaemon } from '../test/support/private-daemon.js';
import { DEBIAN_BASE, ensureDebianBase } from './support/debian-base.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { noteBundleState } from './support/bundle-state.js';

requirePrerequisites('bench/flatten', ['root', 'engine', 'overlay2', 'loop devices', NEEDS.dockerd, NEEDS.ip, NEEDS.registry, NEEDS.losetup, NEEDS.mkfsExt4, NEEDS.busybox, NEEDS.tar, NEEDS.debootstrap]);
noteBundleState();

const DEBIAN = DEBIAN_BASE;
const DEEP = 'stowage-bench/flatten-deep:1';
const FLAT = 'stowage-bench/flatten-deep:flat';
const IMPORTED = 'stowage-bench/flatten-deep:imported';
const SQUASHED = 'stowage-bench/flatten-deep:squashed';
const LAYERS = 32;
/** The CLI as users run it. */
const STOWAGE_BIN = join(import.meta.dirname, '..', '..', 'bin', 'stowage');

/** The daemon the timed rounds run on (the private one on the loop disk, once it is up). */
let roundsEnv: NodeJS.ProcessEnv = {};
/** Its process, whose CPU time (its own and its unpacking children's) is taken around each run. */
let roundsPid = 0;

/** Seconds of CPU in /proc/PID/stat: utime+stime, and with `children` the waited-for children's too. */
function cpuSeconds(pid: number | 'self', children: boolean): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / 100; // USER_HZ
}

/** CPU seconds `work` made the clients (this process's children: stowage, the docker CLIs) and the rounds' dockerd spend. */
function cpuOf(work: () => void): { client: number; engine: number } {
  const c0 = cpuSeconds('self', true) - cpuSeconds('self', false);
  const e0 = cpuSeconds(roundsPid, true);
  work();
  return { client: cpuSeconds('self', true) - cpuSeconds('self', false) - c0, engine: cpuSeconds(roundsPid, true) - e0 };
}

function dockerCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: Buffer): string {
  return execFileSync(DOCKER_CLI, args, { input, env: { ...process.env, DOCKER_BUILDKIT: '1', ...env }, maxBuffer: 64 * 1024 * 1024, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'inherit'] }).toString('utf8');
}

/** The docker CLI on the rounds' daemon. */
function roundsCli(args: string[]): string {
  return dockerCli(args, roundsEnv);
}

/** The overlay2 directories of `tag`'s layers on the rounds' daemon (each layer's diff). */
function layerDirs(tag: string): string[] {
  const data = JSON.parse(roundsCli(['image', 'inspect', '-f', '{{json .GraphDriver.Data}}', tag])) as { LowerDir?: string; UpperDir: string };
  return [data.UpperDir, ...(data.LowerDir ? data.LowerDir.split(':') : [])];
}

function quiet(args: string[]): void {
  spawnSync(DOCKER_CLI, args, { stdio: 'ignore', env: { ...process.env, ...roundsEnv } });
}

function exists(tag: string): boolean {
  return spawnSync(DOCKER_CLI, ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

function dockerfile(): string {
  const base = exists(DEBIAN) ? DEBIAN : BUSYBOX_IMAGE;
  const chunk = base === DEBIAN ? 8_000_000 : 12_000_000;
  const lines = [`FROM ${base}`, 'RUN mkdir -p /data /app'];
  // Each step writes new bytes and overwrites an earlier file, as long-lived Dockerfiles do.
  for (let i = 0; i < LAYERS - 4; i++) lines.push(`RUN head -c ${chunk} /dev/urandom > /data/part${i % 12} && echo step ${i} > /app/step${i}`);
  lines.push(base === DEBIAN ? 'RUN chown -R 1000:1000 /usr/share /app' : 'RUN chown -R 1000:1000 /app /data');
  lines.push('RUN rm -f /data/part0 /data/part1');
  lines.push('ENV APP_HOME=/app MODE=bench', 'WORKDIR /app', 'CMD ["sh", "-c", "ls /data | wc -l"]');
  return lines.join('\n');
}

function build(tag: string, text: string, extra: string[] = []): number {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-ctx-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), text);
    const t = performance.now();
    execFileSync(DOCKER_CLI, ['build', '-q', '--network', 'host', ...extra, '-t', tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: extra.includes('--squash') ? '0' : '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    return performance.now() - t;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function time(work: () => void): number {
  const t = performance.now();
  work();
  return performance.now() - t;
}

function layersOf(tag: string, env: NodeJS.ProcessEnv = {}): number {
  return Number(dockerCli(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', tag], env).trim());
}

function sizeOf(tag: string): number {
  return Number(dockerCli(['image', 'inspect', '-f', '{{.Size}}', tag]).trim());
}

/** Pull+run of `tag` (pushed from the rounds' daemon) into an empty private daemon on the loop disk. */
async function pullRun(registry: LocalRegistry, disk: LoopDisk, tag: string, label: string): Promise<{ pullMs: number; runMs: number }> {
  const remote = `${registry.address}/bench:${label}`;
  roundsCli(['tag', tag, remote]);
  roundsCli(['push', remote]);
  roundsCli(['rmi', remote]);
  const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, `pull-${label}`) });
  try {
    await daemon.start();
    const pullMs = time(() => dockerCli(['pull', '-q', remote], daemon.env));
    const runMs = time(() => dockerCli(['run', '--rm', '--network', 'none', remote], daemon.env));
    return { pullMs, runMs };
  } finally {
    await daemon.destroy();
  }
}

async function main(): Promise<void> {
  await ensureBusybox();
  if (!exists(DEEP)) {
    ensureDebianBase();
    console.error(`building ${DEEP} (once)...`);
    build(DEEP, dockerfile());
  }
  spawnSync(DOCKER_CLI, ['rmi', '-f', SQUASHED], { stdio: 'ignore' });
  const layers = layersOf(DEEP);
  const bytes = sizeOf(DEEP);
  console.log(`image ${DEEP}: ${layers} layers, ${formatBytes(bytes)}`);

  const disk = new LoopDisk(6144).create();
  const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'rounds') });
  try {
    await daemon.start();
    roundsEnv = daemon.env;
    roundsPid = Number(readFileSync(join(daemon.dir, 'dockerd.pid'), 'utf8').trim());
    console.error(`copying ${DEEP} to a private daemon on a fresh ext4 (${disk.device})...`);
    execFileSync('sh', ['-c', `${DOCKER_CLI} save ${DEEP} | DOCKER_HOST=${daemon.host} ${DOCKER_CLI} load -q`], { stdio: ['ignore', 'ignore', 'inherit'] });
    await measure(disk, layers);
  } finally {
    await daemon.destroy();
    disk.destroy();
    spawnSync(DOCKER_CLI, ['rmi', '-f', SQUASHED], { stdio: 'ignore' });
  }
}

async function measure(disk: LoopDisk, layers: number): Promise<void> {
  // Rounds of the three, each output removed before the next, so every run writes a new image; each round
  // runs them in another of the six orders, so that each follows each other equally often (a run's place
  // weighed more than verification in earlier runs of this script). stowage is timed as a user runs it
  // (the CLI, node's start included); its own figure (--json timings) is printed too.
  const ROUNDS = 6;
  const cli: number[] = [];
  const library: number[] = [];
  const unverified: number[] = [];
  const imports: number[] = [];
  const fromImage: number[] = [];
  // CPU seconds of each run: under load, wall time follows how the work spreads over threads as much as how
  // much there is; the CPU it costs the host does not
  const cpu: Record<'verified' | 'unverified' | 'imports', { client: number; engine: number }[]> = { verified: [], unverified: [], imports: [] };
  // Before each measurement: the previous output removed and every dirty page written back, so no run pays
  // for another's writes.
  // Then the input's layer files are read once, so that both sides start from a warm page cache: this
  // machine's kernel pages out file pages nobody read for a few seconds (DAMON's pageout scheme, see
  // /sys/kernel/mm/damon/admin: pages 12 intervals of 500 ms old, up to 128 MB a second), and without this
  // each run found a different part of the image on disk (flatten's rounds 4.1-7.5 s in one run).
  const inputDirs = layerDirs(DEEP);
  const settle = (tag: string) => {
    const id = spawnSync(DOCKER_CLI, ['image', 'inspect', '-f', '{{.Id}}', tag], { encoding: 'utf8', env: { ...process.env, ...roundsEnv } }).stdout.trim();
    quiet(['rmi', '-f', id || tag]);
    spawnSync('sync');
    spawnSync('sleep', ['2']);
    // through a pipe: GNU tar writing to /dev/null itself skips reading the files
    execFileSync('sh', ['-c', 'tar -P -cf - "$@" | cat > /dev/null', 'warm', ...inputDirs], { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  const stowage = (extra: string[]): { ms: number; result: FlattenResult; cpu: { client: number; engine: number } } => {
    const t = performance.now();
    let out = Buffer.alloc(0);
    const used = cpuOf(() => { out = execFileSync(process.execPath, [STOWAGE_BIN, '--json', '--quiet', 'flatten', '--force', '-t', FLAT, ...extra, DEEP], { env: { ...process.env, ...roundsEnv }, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 }); });
    const ms = performance.now() - t;
    return { ms, result: (JSON.parse(out.toString('utf8')) as { result: FlattenResult }).result, cpu: used };
  };
  let r = stowage([]).result;
  const runs: (() => void)[] = [
    () => {
      settle(FLAT);
      const verified = stowage([]);
      cli.push(verified.ms);
      cpu.verified.push(verified.cpu);
      library.push(verified.result.timings.totalMs);
      r = verified.result;
    },
    () => {
      settle(FLAT);
      const run = stowage(['--no-verify']);
      unverified.push(run.ms);
      cpu.unverified.push(run.cpu);
    },
    () => {
      settle(IMPORTED);
      // The baseline as the issue names it (an existing container exported), and as a user runs it from an
      // image: a container created to be exported, and removed after.
      const t = performance.now();
      const created = roundsCli(['create', DEEP]).trim();
      try {
        imports.push(time(() => {
          cpu.imports.push(cpuOf(() => {
            execFileSync('sh', ['-c', `${DOCKER_CLI} export ${created} | ${DOCKER_CLI} import - ${IMPORTED} > /dev/null`], { env: { ...process.env, ...roundsEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
          }));
        }));
      } finally {
        roundsCli(['rm', '-f', created]);
      }
      fromImage.push(performance.now() - t);
    },
  ];
  const ORDERS = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]];
  for (let round = 0; round < ROUNDS; round++) for (const i of ORDERS[round % ORDERS.length]!) runs[i]!();
  // Each round's own ratio, so that a slow spell of the shared machine weighs on both sides of it.
  const ratio = (xs: number[], base: number[]) => {
    const each = xs.map((x, i) => x / base[i]!);
    return `${median(each).toFixed(2)} (rounds ${Math.min(...each).toFixed(2)}-${Math.max(...each).toFixed(2)})`;
  };
  const os = await import('node:os');
  console.log(`medians of ${ROUNDS} rounds, each in another order, each run writing a new image after a sync, on a private daemon on a fresh ext4 (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores):`);
  console.log(`stowage flatten (verified):       ${formatDuration(median(cli)).padStart(9)}  ${r.input.layers} -> ${r.output.layers} layers, ${formatBytes(r.input.tarBytes)} -> ${formatBytes(r.output.tarBytes)}, wasted removed ${formatBytes(r.wastedBytesRemoved)}, config kept`);
  console.log(`  of which flatten itself:        ${formatDuration(median(library)).padStart(9)}  (the rest is node starting; last run: read ${formatDuration(r.timings.readMs)}, write+load ${formatDuration(r.timings.writeMs)}, verify ${formatDuration(r.timings.verifyMs)})`);
  console.log(`stowage flatten --no-verify:      ${formatDuration(median(unverified)).padStart(9)}`);
  const lostCmd = roundsCli(['image', 'inspect', '-f', '{{json .Config.Cmd}} {{json .Config.WorkingDir}}', IMPORTED]).trim();
  console.log(`docker export | docker import:    ${formatDuration(median(imports)).padStart(9)}  (config lost: Cmd/WorkingDir now ${lostCmd})`);
  console.log(`  with docker create and rm:      ${formatDuration(median(fromImage)).padStart(9)}  (what it takes from an image)`);
  console.log(`  flatten / export|import:        ${ratio(cli, imports)} verified, ${ratio(unverified, imports)} with --no-verify; below 1 is faster, the config kept`);
  console.log(`  flatten / create+export|import+rm: ${ratio(cli, fromImage)} verified`);
  const each = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(' ');
  console.log(`  each round (s): flatten ${each(cli)}; --no-verify ${each(unverified)}; export|import ${each(imports)}`);
  const total = (xs: { client: number; engine: number }[]) => xs.map((x) => (x.client + x.engine) * 1000);
  const cpuLine = (xs: { client: number; engine: number }[]) => `${median(xs.map((x) => x.client)).toFixed(2)} s client + ${median(xs.map((x) => x.engine)).toFixed(2)} s dockerd`;
  console.log(`CPU time, medians (client: stowage, or the two docker CLIs; dockerd with its unpacking children):`);
  console.log(`  flatten (verified) ${cpuLine(cpu.verified)}; --no-verify ${cpuLine(cpu.unverified)}; export|import ${cpuLine(cpu.imports)}`);
  console.log(`  flatten / export|import, CPU: ${ratio(total(cpu.verified), total(cpu.imports))} verified, ${ratio(total(cpu.unverified), total(cpu.imports))} with --no-verify`);

  const experimental = dockerCli(['version', '-f', '{{.Server.Experimental}}']).trim() === 'true';
  if (experimental) {
    const squashMs = build(SQUASHED, dockerfile(), ['--squash', '--no-cache']);
    console.log(`docker build --squash (no cache): ${formatDuration(squashMs).padStart(9)}  (rebuilds every step; ${layersOf(SQUASHED)} layers)`);
  } else {
    console.log('docker build --squash:            not measured: this daemon has no experimental features (dockerd --experimental)');
  }

  const registry = await new LocalRegistry().start();
  try {
    const before = await pullRun(registry, disk, DEEP, 'deep');
    const afterFlat = await pullRun(registry, disk, FLAT, 'flat');
    const total = (x: { pullMs: number; runMs: number }) => x.pullMs + x.runMs;
    console.log(`pull+run from ${registry.address} into an empty daemon (HelloBench-style):`);
    console.log(`  deep (${layers} layers):  pull ${formatDuration(before.pullMs)}, run ${formatDuration(before.runMs)}, total ${formatDuration(total(before))}`);
    console.log(`  flat (${r.output.layers} layer${r.output.layers === 1 ? '' : 's'}):    pull ${formatDuration(afterFlat.pullMs)}, run ${formatDuration(afterFlat.runMs)}, total ${formatDuration(total(afterFlat))}`);
    console.log(`  flat / deep:        ${(total(afterFlat) / total(before)).toFixed(2)}x`);
  } finally {
    registry.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
