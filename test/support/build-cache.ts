/**
 * Builds leave BuildKit cache records on the engine; tests remove exactly the records their builds made.
 * The records carry no build's name, so they are told apart by appearing during the build: on a host where
 * others build at the same time a record of theirs made meanwhile goes too (cache only, rebuilt on demand).
 */
import { request } from 'node:http';

function socketOf(env: NodeJS.ProcessEnv): string {
  const host = env.DOCKER_HOST ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://')) throw new Error(`build cache cleanup needs a unix socket, not ${host}`);
  return host.slice('unix://'.length);
}

function call<T>(env: NodeJS.ProcessEnv, method: 'GET' | 'POST', path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socketOf(env), path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`${method} ${path}: ${res.statusCode} ${body.trim()}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** IDs of the engine's build cache records (the API's /system/df; Debian's CLI has no `buildx du`). */
export async function buildCacheIds(env: NodeJS.ProcessEnv = {}): Promise<Set<string>> {
  const df = await call<{ BuildCache?: { ID: string }[] | null }>(env, 'GET', '/system/df');
  return new Set((df.BuildCache ?? []).map((r) => r.ID));
}

/** Prunes the records with these IDs (and nothing else); throws when one of them stays. */
export async function pruneBuildCache(ids: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  if (!ids.length) return;
  // the engine takes one value per filter; a record goes only after the records built on it, so a
  // pass may free the parents for the next
  for (let pass = 0; pass < 5; pass++) {
    const present = await buildCacheIds(env);
    const left = ids.filter((id) => present.has(id));
    if (!left.length) return;
    for (const id of left) await call(env, 'POST', `/build/prune?all=1&filters=${encodeURIComponent(JSON.stringify({ id: [id] }))}`);
  }
  const left = [...await buildCacheIds(env)].filter((id) => ids.includes(id));
  if (!left.length) return;
  throw new Error(`build cache records ${left.join(', ')} stayed after pruning them`);
}

/** Runs `work` (builds on the engine of `env`) and removes the cache records that appeared meanwhile. */
export async function withBuildCacheCleanup<T>(work: () => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  const before = await buildCacheIds(env);
  try {
    return await work();
  } finally {
    const made = [...await buildCacheIds(env)].filter((id) => !before.has(id));
    await pruneBuildCache(made, env);
  }
}
