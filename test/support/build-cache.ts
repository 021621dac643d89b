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

/** An answer of the engine other than 200. */
class EngineAnswer extends Error {
  constructor(readonly status: number | undefined, readonly body: string, what: string) {
    super(`${what}: ${status} ${body.trim()}`);
  }
}

function call<T>(env: NodeJS.ProcessEnv, method: 'GET' | 'POST', path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    // a fresh connection each time: a kept-alive socket the engine has closed fails with EPIPE
    const req = request({ socketPath: socketOf(env), path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new EngineAnswer(res.statusCode, body, `${method} ${path}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

interface CacheRecord { ID: string; CreatedAt: string; Type?: string; Description?: string }

async function records(env: NodeJS.ProcessEnv): Promise<CacheRecord[]> {
  // the engine runs one disk-usage computation at a time and refuses a second meanwhile
  for (let attempt = 0; ; attempt++) {
    try {
      const df = await call<{ BuildCache?: CacheRecord[] | null }>(env, 'GET', '/system/df');
      return df.BuildCache ?? [];
    } catch (err) {
      const busy = err instanceof EngineAnswer && err.status === 500 && /already running/.test(err.body);
      if (attempt >= 300 || !busy) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** IDs of the engine's build cache records (the API's /system/df; Debian's CLI has no `buildx du`). */
export async function buildCacheIds(env: NodeJS.ProcessEnv = {}): Promise<Set<string>> {
  return new Set((await records(env)).map((r) => r.ID));
}

/** Each record as its ID followed by its type and description, which name the build step that made it. */
export async function describedBuildCache(env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  return (await records(env)).map((r) => `${r.ID} (${r.Type ?? '?'}: ${(r.Description ?? '').slice(0, 120)})`);
}

/** Prunes the records with these IDs (and nothing else); throws when one of them stays. */
export async function pruneBuildCache(ids: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const wanted = new Set(ids);
  // the engine takes one value per filter, and a record goes only after the records built on it: newest
  // first, and again while a pass removes something; BuildKit holds a record in use for a moment after its
  // build ends (longer on a loaded host), so a pass that removes nothing is retried for up to 30 s
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left = (await records(env)).filter((r) => wanted.has(r.ID)).sort((a, b) => b.CreatedAt.localeCompare(a.CreatedAt));
    if (!left.length) return;
    let removed = 0;
    for (const r of left) {
      const answer = await call<{ CachesDeleted: string[] | null }>(env, 'POST', `/build/prune?all=1&filters=${encodeURIComponent(JSON.stringify({ id: [r.ID] }))}`);
      removed += answer.CachesDeleted?.length ?? 0;
    }
    if (removed) continue;
    if (Date.now() > deadline) throw new Error(`build cache records ${left.map((r) => r.ID).join(', ')} stayed after pruning them`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Prunes every record not in `before`, then looks once more half a second later and prunes what appeared: in
 * one CI run a build's context source (`source.local`, 336 bytes, in use for 0.4 s) was left after its own
 * cleanup had listed and pruned the build's records. Returns the records left, all of them in `before`.
 */
export async function pruneBuildCacheSince(before: ReadonlySet<string>, env: NodeJS.ProcessEnv = {}): Promise<Set<string>> {
  for (let round = 0; ; round++) {
    const now = await buildCacheIds(env);
    const made = [...now].filter((id) => !before.has(id));
    if (!made.length && round > 0) return now;
    if (round >= 5) throw new Error(`build cache records keep appearing: ${made.join(', ')}`);
    await pruneBuildCache(made, env);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The records each engine had after the last cleanup here, so the next build needs one disk-usage call, not two. */
const known = new Map<string, Set<string>>();

/**
 * Runs `work` (builds on the engine of `env`) and removes the cache records that appeared meanwhile. The
 * records before are those this process saw after its previous cleanup (a disk-usage call takes about a
 * second), so a record made between two builds by another program goes too.
 */
export async function withBuildCacheCleanup<T>(work: () => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  const socket = socketOf(env);
  const before = known.get(socket) ?? await buildCacheIds(env);
  try {
    return await work();
  } finally {
    known.set(socket, await pruneBuildCacheSince(before, env));
  }
}
