/**
 * A registry stowage starts for itself (bench hello): Debian's `docker-registry` (distribution) on
 * 127.0.0.1, on a free port, with its config and storage in a temporary directory, stopped with SIGTERM then
 * SIGKILL and its directory removed afterwards, also when the process exits early. dockerd treats
 * 127.0.0.0/8 registries as insecure by default, so push and pull need no daemon change.
 *
 * A long-running server, so it is spawned here rather than through the tool runner (which runs tools to
 * their end); it is still the host layer's one place that starts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError } from '../errors.js';
import { freeLocalPort } from './free-port.js';
import { createShapedNetns, type LinkShape, type ShapedNetns } from './shaped-netns.js';
import { startTcpForward, type TcpForward } from './tcp-forward.js';
import { ToolMissingError } from './tool-runner.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RegistryServer {
  /** `127.0.0.1:PORT`, the prefix of image names pushed here. */
  readonly address: string;
  /** Where the registry keeps its blobs and manifests. */
  readonly storageDir: string;
  readonly pid: number;
  /** Whether the process still runs. */
  alive(): boolean;
  /** Empties the storage, so the next push uploads every blob again (the registry caches no descriptors). */
  wipeStorage(): void;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
  /** With a shape: the qdiscs on the registry's link, as tc shows them. */
  readonly shaping?: string[];
}

/** The registry's config: filesystem storage under `dir`, deletes allowed, no blob-descriptor cache. */
export function registryConfig(storageDir: string, port: number, host = '127.0.0.1'): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}:${port}`,
    '',
  ].join('\n');
}


const live = new Set<ChildProcess>();
/** The temporary directory of each live registry, removed by the exit hook too. */
const liveDirs = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** A process that exits without its `finally` (an uncaught error, process.exit) still kills its registries. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // a process that ends without stop() (an unsettled await, process.exit) left its config and storage behind
    for (const dir of liveDirs.values()) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * Starts a registry and waits until `/v2/` answers 200. A port taken between the pick and the bind is
 * retried with another; a registry that does not answer within `timeoutMs` is stopped and reported with
 * the end of its log.
 */
export async function startRegistryServer(options: { bin?: string; timeoutMs?: number; signal?: AbortSignal; shape?: LinkShape } = {}): Promise<RegistryServer> {
  const bin = options.bin ?? REGISTRY_BIN;
  if (!existsSync(bin)) throw new ToolMissingError('docker-registry', 'docker-registry');
  if (options.shape) return startShapedRegistry(bin, options.shape, options);
  let lastLog = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await spawnRegistry(bin, await freeLocalPort());
    try {
      if (await waitReady(server, options.timeoutMs ?? 30_000, options.signal)) return server;
      lastLog = server.log();
    } catch (err) {
      await server.stop();
      throw err;
    }
    await server.stop();
  }
  throw new HostError(`docker-registry did not start on 127.0.0.1: ${lastLog.trim().split('\n').slice(-3).join(' | ') || 'no output'}`,
    'Run `docker-registry serve CONFIG` by hand to see why, or give a running registry with --registry HOST:PORT.');
}

interface SpawnedRegistry extends RegistryServer {
  log(): string;
}

/**
 * The registry in a network namespace of its own behind a tbf-shaped veth pair, reached through a forwarder on
 * 127.0.0.1 (dockerd's default insecure range) that also adds the latency: only the registry's traffic is slowed.
 */
async function startShapedRegistry(bin: string, shape: LinkShape, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<RegistryServer> {
  let netns: ShapedNetns | undefined;
  let forward: TcpForward | undefined;
  let server: SpawnedRegistry | undefined;
  const stopAll = async () => {
    await server?.stop();
    await forward?.close();
    await netns?.close();
  };
  try {
    netns = await createShapedNetns(shape, options.signal ? { signal: options.signal } : {});
    // a fresh namespace has every port free
    const port = 5000;
    server = await spawnRegistry(bin, port, { netns: netns.name, host: netns.innerAddress });
    forward = await startTcpForward(netns.innerAddress, port, (shape.latencyMs ?? 0) / 2);
    const front: SpawnedRegistry = { ...server, address: forward.address, alive: server.alive, wipeStorage: server.wipeStorage, log: server.log, stop: stopAll, shaping: netns.qdiscs };
    if (await waitReady(front, options.timeoutMs ?? 30_000, options.signal)) return front;
    throw new HostError(`docker-registry did not start in network namespace ${netns.name}: ${server.log().trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function spawnRegistry(bin: string, port: number, where: { netns: string; host: string } | undefined = undefined): Promise<SpawnedRegistry> {
  // named for this process, so that a check of what it left behind can tell its own from another run's
  const dir = mkdtempSync(join(tmpdir(), `stowage-registry-${process.pid}-`));
  const storageDir = join(dir, 'storage');
  const configPath = join(dir, 'config.yml');
  const logPath = join(dir, 'registry.log');
  writeFileSync(configPath, registryConfig(storageDir, port, where?.host));
  let logText = '';
  // `ip netns exec` execs the registry, so the child's pid is the registry's own and the signals reach it
  const child = where
    ? spawn('ip', ['netns', 'exec', where.netns, bin, 'serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer) => { if (logText.length < 1 << 16) logText += d.toString('utf8'); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (err) => { logText += `\n${err.message}`; });
  // the registry must not keep stowage alive, and stowage waits for it explicitly on stop
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  live.add(child);
  liveDirs.set(child, dir);
  installExitHook();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stopped: Promise<void> | undefined;
  return {
    address: `${where?.host ?? '127.0.0.1'}:${port}`,
    storageDir,
    pid: child.pid ?? -1,
    alive: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
    wipeStorage: () => rmSync(storageDir, { recursive: true, force: true }),
    log: () => logText || (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    stop: () => (stopped ??= (async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await within(exited, 5_000))) {
          child.kill('SIGKILL');
          await within(exited, 5_000);
        }
      }
      live.delete(child);
      liveDirs.delete(child);
      rmSync(dir, { recursive: true, force: true });
    })()),
  };
}

async function waitReady(server: SpawnedRegistry, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    signal?.throwIfAborted();
    if (!server.alive()) return false;
    const ok = await fetch(`http://${server.address}/v2/`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status === 200, () => false);
    if (ok) return true;
    await delay(100);
  }
  return false;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `work` settles within `ms`; the timer is cleared either way, so it keeps no process alive. */
async function within(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
