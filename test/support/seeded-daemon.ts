/** A private daemon given what a data-root move must keep: busybox, an image committed on it, a named volume with a file. */
import { docker, ensureBusybox, uniqueName } from './docker-cli.js';
import type { PrivateDaemon } from './private-daemon.js';

/** Every image ID the engine lists, sorted: what a move must keep; with `all`, intermediate (untagged parent) images too. */
export async function imageIds(env: NodeJS.ProcessEnv, options: { all?: boolean } = {}): Promise<string[]> {
  return (await docker(['images', ...(options.all ? ['-a'] : []), '-q', '--no-trunc'], { env })).stdout.split('\n').filter(Boolean).sort();
}

/**
 * Commits a container that wrote `kept` into the volume's `file` and 4 MiB into its own `/big`; returns the
 * committed tag, the volume and the image IDs the daemon then lists.
 */
export async function seedDaemon(daemon: PrivateDaemon, repo: string): Promise<{ committed: string; volume: string; before: string[] }> {
  const base = await ensureBusybox(daemon.env);
  const committed = `${uniqueName(repo)}:1`;
  const volume = uniqueName('stowage-provision-vol');
  await docker(['run', '--name', 'maker', '-v', `${volume}:/v`, base, 'sh', '-c', 'echo kept > /v/file && dd if=/dev/zero of=/big bs=1M count=4 2>/dev/null'], { env: daemon.env });
  await docker(['commit', 'maker', committed], { env: daemon.env });
  await docker(['rm', 'maker'], { env: daemon.env });
  return { committed, volume, before: await imageIds(daemon.env) };
}
