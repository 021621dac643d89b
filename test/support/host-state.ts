/**
 * What the test suite may touch on its host, captured before the first test and after the last, so that
 * the suite can prove it left the host as it found it (issue 11): the engine's bridges, networks,
 * containers, volumes, images and build cache records, loop devices, mounts under the temp directories and
 * on loop devices, stowage's temp entries, cgroups and processes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DOCKER_CLI } from './docker-cli.js';
import { processesMentioning } from './private-daemon.js';
import { describedBuildCache } from './build-cache.js';

export interface HostState {
  bridges: string[];
  networks: string[];
  containers: string[];
  volumes: string[];
  images: string[];
  imageTags: string[];
  buildCache: string[];
  loopDevices: string[];
  mounts: string[];
  tempEntries: string[];
  cgroups: string[];
  processes: string[];
}

/** Singular names for the report, one per kind. */
const KINDS: Record<keyof HostState, string> = {
  bridges: 'bridge', networks: 'engine network', containers: 'container', volumes: 'volume', images: 'image',
  imageTags: 'image tag', buildCache: 'build cache record', loopDevices: 'loop device', mounts: 'mount',
  tempEntries: 'temp entry', cgroups: 'cgroup', processes: 'process',
};

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).sort();

const TEMP_ROOTS = [...new Set(['/tmp', tmpdir()])];

export async function captureHostState(): Promise<HostState> {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const fields = l.split(' ');
    const after = fields.indexOf('-');
    return { point: (fields[4] ?? '').replace(/\\040/g, ' '), source: fields[after + 2] ?? '' };
  });
  const blkio = '/sys/fs/cgroup/blkio';
  return {
    bridges: (JSON.parse(run('ip', ['-j', 'link', 'show', 'type', 'bridge']) || '[]') as { ifname: string }[]).map((l) => l.ifname).sort(),
    networks: lines(run(DOCKER_CLI, ['network', 'ls', '-q', '--no-trunc'])),
    containers: lines(run(DOCKER_CLI, ['ps', '-a', '-q', '--no-trunc'])),
    volumes: lines(run(DOCKER_CLI, ['volume', 'ls', '-q'])),
    images: lines(run(DOCKER_CLI, ['images', '-a', '-q', '--no-trunc'])).filter((v, i, a) => a.indexOf(v) === i),
    imageTags: lines(run(DOCKER_CLI, ['images', '--format', '{{.Repository}}:{{.Tag}}'])).filter((t) => t !== '<none>:<none>'),
    buildCache: (await describedBuildCache()).sort(),
    loopDevices: lines(run('losetup', ['-l', '-n', '-O', 'NAME,BACK-FILE'])).map((l) => l.replace(/\s+/g, ' ')),
    mounts: mountinfo.filter((m) => TEMP_ROOTS.some((t) => m.point.startsWith(`${t}/`)) || m.source.startsWith('/dev/loop'))
      .map((m) => `${m.point} (${m.source})`).sort(),
    tempEntries: TEMP_ROOTS.flatMap((t) => readdirSync(t).filter((n) => n.startsWith('stowage-')).map((n) => `${t}/${n}`)).sort(),
    cgroups: existsSync(blkio) ? readdirSync(blkio).filter((n) => n.startsWith('stowage-')).map((n) => `${blkio}/${n}`).sort() : [],
    processes: TEMP_ROOTS.flatMap((t) => processesMentioning(`${t}/stowage-`)).filter((p) => p !== process.ppid)
      .map((pid) => `${pid} ${readCmdline(pid)}`).sort(),
  };
}

function readCmdline(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim().slice(0, 200); } catch { return '(exited)'; }
}

/**
 * What differs between two captures, one line each: objects left behind ("left behind") and the host's
 * own objects that disappeared ("removed"). Processes compare by pid and command line, and count only when left.
 */
export function compareHostStates(before: HostState, after: HostState): string[] {
  const problems: string[] = [];
  for (const kind of Object.keys(KINDS) as (keyof HostState)[]) {
    const was = new Set(before[kind] ?? []);
    const is = new Set(after[kind] ?? []);
    for (const item of is) if (!was.has(item)) problems.push(`${KINDS[kind]} left behind: ${item}`);
    // a process of the host that ended meanwhile is no damage
    if (kind === 'processes') continue;
    for (const item of was) if (!is.has(item)) problems.push(`${KINDS[kind]} removed: ${item}`);
  }
  return problems;
}

/** Where the suite's first file leaves its capture for the last: one per test run (the runner's pid). */
export function snapshotPath(): string {
  return process.env.STOWAGE_HOST_SNAPSHOT ?? `${tmpdir()}/.stowage-host-snapshot-${process.ppid}.json`;
}
