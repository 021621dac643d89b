/**
 * A second, private dockerd beside the host's, with its own data-root and socket (DESIGN.md), for tests
 * that need a stopped daemon, a loop-device data-root or a slow disk.
 *
 * Its network is a bridge of its own, created before and deleted after: never a bridge of `none`, which makes
 * dockerd delete the host's docker0. The bridge and the directory carry the owning process's pid, so a run
 * that was killed before it could clean up is swept by the next one (`sweepStalePrivateDaemons`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { docker } from './docker-cli.js';
import { onExitUndo, processAlive, release, sleepSync } from './exit-cleanup.js';
import { unmountAll } from './mounts.js';

/** `stw<pid>-<hex>`: at most 15 characters, the kernel's limit for an interface name. */
const BRIDGE_PATTERN = /^stw(\d{1,7})-[0-9a-f]{4}$/;
const DIR_PATTERN = /^stowage-dockerd-(stw(\d{1,7})-[0-9a-f]{4})-/;

/** Pids of the processes whose command line contains `text` (a unique path or name). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').some((arg) => arg.includes(text))) pids.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

const alive = processAlive;

function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** SIGTERM, a wait of up to `graceMs`, then SIGKILL for whatever is left; returns the pids that survived. */
function terminate(pids: number[], graceMs: number): number[] {
  for (const pid of pids) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) sleepSync(100);
  for (const pid of pids.filter(alive)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  const killDeadline = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < killDeadline) sleepSync(50);
  return pids.filter(alive);
}

/**
 * Removes what a private daemon left: its processes (dockerd, the containerd it started, shims: all
 * name its directory), its mounts, its directory, its bridge. Synchronous, so it runs in an exit handler.
 */
function removeLeftovers(dir: string, bridge: string, graceMs: number, dataRoot = dir): string[] {
  const problems: string[] = [];
  const survivors = terminate(processesMentioning(dir), graceMs);
  if (survivors.length) problems.push(`processes ${survivors.join(', ')} outlived SIGKILL`);
  // a data-root elsewhere (on a loop disk) holds the overlay mounts of containers a killed daemon left
  const stuck = [...(dataRoot === dir ? [] : unmountAll(dataRoot)), ...unmountAll(dir)];
  if (stuck.length) problems.push(`still mounted: ${stuck.join(', ')}`);
  else rmSync(dir, { recursive: true, force: true });
  if (linkExists(bridge)) {
    const r = spawnSync('ip', ['link', 'del', bridge], { encoding: 'utf8' });
    if (r.status !== 0) problems.push(`ip link del ${bridge}: ${r.stderr.trim()}`);
  }
  return problems;
}

/**
 * Deletes the bridges and directories of private daemons whose owning process is gone (a run killed
 * before its cleanup); returns what it removed. Objects of a live process, another run's included, stay.
 */
export function sweepStalePrivateDaemons(): string[] {
  const removed: string[] = [];
  const dirs = readdirSync(tmpdir()).map((name) => ({ name, m: DIR_PATTERN.exec(name) })).filter((d) => d.m && !alive(Number(d.m[2])));
  for (const d of dirs) {
    const bridgeWasThere = linkExists(d.m![1]!);
    removeLeftovers(join(tmpdir(), d.name), d.m![1]!, 5_000);
    removed.push(join(tmpdir(), d.name), ...(bridgeWasThere ? [d.m![1]!] : []));
  }
  const links = JSON.parse(spawnSync('ip', ['-j', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' }).stdout || '[]') as { ifname: string }[];
  for (const { ifname } of links) {
    const m = BRIDGE_PATTERN.exec(ifname);
    if (!m || alive(Number(m[1])) || processesMentioning(ifname).length) continue;
    spawnSync('ip', ['link', 'del', ifname], { stdio: 'ignore' });
    removed.push(ifname);
  }
  return removed;
}

export class PrivateDaemon {
  readonly id = `stw${process.pid}-${randomBytes(2).toString('hex')}`;
  readonly dir: string;
  readonly dataRoot: string;
  readonly socket: string;
  private child: ChildProcess | undefined;

  private readonly storageDriver: string | null;
  /** Also listens on tcp://127.0.0.1:PORT (no TLS: loopback only). */
  readonly tcpPort: number | undefined;
  /** Runs in a UTS namespace of its own with this host name, like an engine on another machine. */
  readonly hostName: string | undefined;

  /** `storageDriver: null` lets dockerd pick its driver itself, as an unconfigured host does. */
  constructor(options: { dataRoot?: string; storageDriver?: string | null; tcpPort?: number; hostName?: string } = {}) {
    this.tcpPort = options.tcpPort;
    this.hostName = options.hostName;
    this.dir = mkdtempSync(join(tmpdir(), `stowage-dockerd-${this.id}-`));
    this.dataRoot = options.dataRoot ?? join(this.dir, 'data');
    this.storageDriver = options.storageDriver === undefined ? 'overlay2' : options.storageDriver;
    this.socket = join(this.dir, 'docker.sock');
    // from here on something exists on the host: undo it even if the test never reaches destroy()
    onExitUndo(this, () => { this.cleanupSync(10_000); });
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get env(): NodeJS.ProcessEnv {
    return { DOCKER_HOST: this.host };
  }

  /** The daemon's own bridge: never a bridge of `none`, which makes dockerd delete the host's docker0. */
  get bridge(): string {
    return this.id;
  }

  /** Starts dockerd and waits until it answers; on failure everything it made is removed before it throws. */
  async start(timeoutMs = 60_000): Promise<void> {
    try {
      await this.startOrThrow(timeoutMs);
    } catch (err) {
      const lines = existsSync(join(this.dir, 'dockerd.log')) ? readFileSync(join(this.dir, 'dockerd.log'), 'utf8').split('\n') : [];
      // dockerd's reason is its fatal or error line; retry warnings from grpc follow it
      const errors = lines.filter((l) => /level=(fatal|error)/.test(l));
      const log = (errors.length ? errors : lines).slice(-8).join('\n');
      const problems = this.cleanupSync(5_000);
      throw new Error(`${(err as Error).message}${problems.length ? `; cleanup: ${problems.join('; ')}` : ''}${log ? `\ndockerd.log:\n${log}` : ''}`, { cause: err });
    }
  }

  private async startOrThrow(timeoutMs: number): Promise<void> {
    mkdirSync(this.dataRoot, { recursive: true });
    const configFile = join(this.dir, 'daemon.json');
    writeFileSync(configFile, '{}\n');
    ip(['link', 'add', this.bridge, 'type', 'bridge']);
    ip(['link', 'set', this.bridge, 'up']);
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    try {
      // unshare execs dockerd in place, so the child is still dockerd and its command line names this.dir
      const [command, prefix] = this.hostName
        ? ['unshare', ['--uts', 'sh', '-c', `hostname ${this.hostName} && exec dockerd "$@"`, 'dockerd']]
        : ['dockerd', []];
      this.child = spawn(command, [...prefix,
        '--data-root', this.dataRoot,
        '-H', this.host,
        ...(this.tcpPort ? ['-H', `tcp://127.0.0.1:${this.tcpPort}`] : []),
        '--exec-root', join(this.dir, 'exec'),
        '--pidfile', join(this.dir, 'dockerd.pid'),
        '--config-file', configFile,
        '--bridge', this.bridge,
        '--iptables=false',
        '--ip-masq=false',
        '--containerd-namespace', this.id,
        '--containerd-plugins-namespace', `${this.id}p`,
        ...(this.storageDriver ? ['--storage-driver', this.storageDriver] : []),
      ], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    // a test that times out leaves its awaits pending; an unref'd daemon lets that process exit, and the
    // exit handler then stops the daemon
    this.child.unref();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`private dockerd ${this.id} exited during start`);
      if (existsSync(this.socket)) {
        const r = await docker(['version', '--format', '{{.Server.APIVersion}}'], { env: this.env, allowFailure: true });
        if (r.code === 0) return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`private dockerd ${this.id} did not answer within ${timeoutMs} ms`);
  }

  private get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM', 20_000);
  }

  /** SIGKILL: the socket stays behind and nothing answers on it. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 0);
  }

  private async signal(signal: NodeJS.Signals, killAfterMs: number): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    // a ref'd timer keeps this process alive while it waits for the unref'd child
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs || 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the daemon and removes everything it made; throws when something could not be removed. */
  async destroy(): Promise<void> {
    await this.stop();
    const problems = this.cleanupSync(10_000);
    if (problems.length) throw new Error(`private dockerd ${this.id} left: ${problems.join('; ')}`);
  }

  /** Removes what is left; what could not be removed stays registered for the exit handler's retry. */
  private cleanupSync(graceMs: number): string[] {
    const problems = removeLeftovers(this.dir, this.bridge, graceMs, this.dataRoot);
    if (!problems.length) release(this);
    return problems;
  }
}
