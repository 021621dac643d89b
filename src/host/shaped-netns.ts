/**
 * A network namespace joined to the host by a veth pair whose two ends are rate-limited with tc's token bucket
 * (tbf): bench hello runs its registry inside, so only the registry's traffic crosses the shaped link
 * (`--bandwidth`). Each end shapes what leaves it: the host end the pushes, the namespace end the pulls.
 * Nothing of the host's own interfaces changes (tc on `lo` would have shaped every loopback flow and is one
 * root qdisc that two runs would fight over); deleting the namespace deletes both veth ends.
 *
 * tbf rather than netem: tbf is in every kernel that has traffic control at all, netem is not (this host's
 * kernel has tbf, htb and pfifo and no netem), so latency is added by the forwarder in front (tcp-forward.ts).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostTools, type ToolRunner } from './tool-runner.js';

export interface LinkShape {
  /** Bits per second each way; undefined for no rate limit. */
  rateBitsPerSec?: number;
  /** Round-trip delay added, in ms: half each way (by the forwarder, not here). */
  latencyMs?: number;
}

export interface ShapedNetns {
  /** The namespace's name (`ip netns exec NAME …` runs a process inside). */
  readonly name: string;
  /** The address of the namespace's end, where a server inside listens. */
  readonly innerAddress: string;
  /** The host end's address. */
  readonly hostAddress: string;
  /** The qdiscs as tc shows them on the two ends (the evidence that shaping is on). */
  readonly qdiscs: string[];
  /** Deletes the namespace (and with it the veth pair); safe to call twice. */
  close(): Promise<void>;
}

const live = new Set<string>();
let exitHookInstalled = false;

/** A run that ends without its `finally` still deletes its namespaces. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of live) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  });
}

/**
 * The tbf arguments for one end: the rate; a bucket of 10 ms at that rate but at least 128 KiB (veth hands tbf
 * GSO packets of up to 64 KiB); a queue of 200 ms before drops, so TCP sees a path, not a wall.
 */
export function tbfArgs(rateBitsPerSec: number): string[] {
  const burst = Math.max(128 * 1024, Math.round(rateBitsPerSec / 8 / 100));
  return ['tbf', 'rate', `${Math.round(rateBitsPerSec)}bit`, 'burst', String(burst), 'latency', '200ms'];
}

/**
 * Creates the namespace, the veth pair on a random link-local /30 (169.254.0.0/16, never routed off the host),
 * and tbf on both ends when a rate is given. Needs root and iproute2.
 */
export async function createShapedNetns(shape: LinkShape, options: { runner?: ToolRunner; signal?: AbortSignal } = {}): Promise<ShapedNetns> {
  const runner = options.runner ?? hostTools;
  const tag = randomBytes(3).toString('hex');
  const name = `stowage-hello-${process.pid}-${tag}`;
  // interface names are at most 15 characters
  const hostIf = `stwh${tag}`;
  const innerIf = `stwn${tag}`;
  const b = randomBytes(2);
  // a /30 in 169.254.1.0-169.254.254.255 but never 169.254.169.x, where clouds' metadata service answers
  // (169.254.169.254): a host route there would send the VM's IMDS requests into the namespace
  const third = 1 + (b[0]! % 254) === 169 ? 170 : 1 + (b[0]! % 254);
  const fourth = (b[1]! & 0xfc);
  const hostAddress = `169.254.${third}.${fourth + 1}`;
  const innerAddress = `169.254.${third}.${fourth + 2}`;
  const run = async (tool: string, args: string[]) => {
    const r = await runner.run({ tool, args, timeoutMs: 15_000, ...(options.signal ? { signal: options.signal } : {}) });
    return r.stdout.toString('utf8');
  };
  await run('ip', ['netns', 'add', name]);
  live.add(name);
  installExitHook();
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= (async () => {
    // the veth pair goes with the namespace; the host end first in case the namespace is already gone
    await runner.run({ tool: 'ip', args: ['link', 'del', hostIf], timeoutMs: 15_000, check: false });
    await runner.run({ tool: 'ip', args: ['netns', 'del', name], timeoutMs: 15_000, check: false });
    live.delete(name);
  })());
  try {
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', innerIf, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', name, 'addr', 'add', `${innerAddress}/30`, 'dev', innerIf]);
    await run('ip', ['-n', name, 'link', 'set', innerIf, 'up']);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const qdiscs: string[] = [];
    if (shape.rateBitsPerSec) {
      await run('tc', ['qdisc', 'add', 'dev', hostIf, 'root', ...tbfArgs(shape.rateBitsPerSec)]);
      await run('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'add', 'dev', innerIf, 'root', ...tbfArgs(shape.rateBitsPerSec)]);
      qdiscs.push(`${hostIf}: ${(await run('tc', ['qdisc', 'show', 'dev', hostIf])).trim()}`);
      qdiscs.push(`${innerIf}: ${(await run('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'show', 'dev', innerIf])).trim()}`);
    }
    return { name, innerAddress, hostAddress, qdiscs, close };
  } catch (err) {
    await close();
    throw err;
  }
}
