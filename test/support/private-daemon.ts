/**
 * A second, private dockerd beside the host's, with its own data-root and socket (DESIGN.md), for tests
 * that need a stopped daemon, a loop-device data-root or a slow disk.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { docker } from './docker-cli.js';

export class PrivateDaemon {
  readonly id = `stw${randomBytes(3).toString('hex')}`;
  readonly dir: string;
  readonly dataRoot: string;
  readonly socket: string;
  private child: ChildProcess | undefined;

  private readonly storageDriver: string | null;

  /** `storageDriver: null` lets dockerd pick its driver itself, as an unconfigured host does. */
  constructor(options: { dataRoot?: string; storageDriver?: string | null } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'stowage-dockerd-'));
    this.dataRoot = options.dataRoot ?? join(this.dir, 'data');
    this.storageDriver = options.storageDriver === undefined ? 'overlay2' : options.storageDriver;
    this.socket = join(this.dir, 'docker.sock');
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get env(): NodeJS.ProcessEnv {
    return { DOCKER_HOST: this.host };
  }

  /** The daemon's own bridge: never `--bridge none`, which makes dockerd delete the host's docker0. */
  get bridge(): string {
    return this.id;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    mkdirSync(this.dataRoot, { recursive: true });
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    const configFile = join(this.dir, 'daemon.json');
    writeFileSync(configFile, '{}\n');
    for (const args of [['link', 'add', this.bridge, 'type', 'bridge'], ['link', 'set', this.bridge, 'up']]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
    }
    this.child = spawn('dockerd', [
      '--data-root', this.dataRoot,
      '-H', this.host,
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
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`private dockerd exited; see ${join(this.dir, 'dockerd.log')}`);
      if (existsSync(this.socket)) {
        const r = await docker(['version', '--format', '{{.Server.APIVersion}}'], { env: this.env, allowFailure: true });
        if (r.code === 0) return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`private dockerd did not answer within ${timeoutMs} ms`);
  }

  private get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL: the socket stays behind and nothing answers on it. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops the daemon, its containerd, and removes its directories (and the data-root when it is ours). */
  async destroy(): Promise<void> {
    await this.stop();
    // a killed dockerd leaves the containerd it started running
    spawnSync('pkill', ['-f', join(this.dir, 'exec', 'containerd')]);
    // dockerd bind-mounts its data-root onto itself and only undoes that on a clean shutdown
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m === this.dir || m.startsWith(`${this.dir}/`) || m === this.dataRoot || m.startsWith(`${this.dataRoot}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
    spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
  }
}
