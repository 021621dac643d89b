/**
 * bench hello's built-in suite: HelloBench's categories rebuilt from Debian packages (nothing can be pulled
 * from Docker Hub here), on a Debian base made by debootstrap. Each image is built once and cached as a
 * docker-archive named by a hash of its recipe; the bench loads one at a time, so no other suite image holds
 * its base layer while its pull is measured.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { CapabilityContext } from '../../context.js';
import { BadInputError, HostError } from '../../errors.js';
import { withDebianRootfs } from '../../host/debootstrap.js';
import { tempBeside } from '../../atomic-file.js';
import type { HelloImage } from './hello-bench.js';
import { parseReadyRule } from './ready-rule.js';

export interface SuiteImage {
  name: string;
  category: 'distro' | 'languages' | 'databases' | 'web' | 'other';
  /** Dockerfile lines after `FROM base`. */
  recipe: string[];
  ready: string;
}

const APT = 'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends';
const CLEAN = '&& rm -rf /var/lib/apt/lists/*';

export const HELLO_SUITE: readonly SuiteImage[] = [
  { name: 'debian', category: 'distro', ready: 'exit', recipe: ['CMD ["echo", "hello"]'] },
  { name: 'python3', category: 'languages', ready: 'exit', recipe: [`${APT} python3 ${CLEAN}`, 'CMD ["python3", "-c", "print(\'hello\')"]'] },
  { name: 'nodejs', category: 'languages', ready: 'exit', recipe: [`${APT} nodejs ${CLEAN}`, 'CMD ["node", "-e", "console.log(\'hello\')"]'] },
  { name: 'ruby', category: 'languages', ready: 'exit', recipe: [`${APT} ruby ${CLEAN}`, 'CMD ["ruby", "-e", "puts \'hello\'"]'] },
  { name: 'perl', category: 'languages', ready: 'exit', recipe: [`${APT} perl ${CLEAN}`, 'CMD ["perl", "-e", "print \\"hello\\\\n\\""]'] },
  { name: 'postgresql', category: 'databases', ready: 'log:database system is ready to accept connections', recipe: [
    `${APT} postgresql ${CLEAN}`,
    'USER postgres',
    'CMD ["sh", "-c", "exec /usr/lib/postgresql/*/bin/postgres -D /var/lib/postgresql/*/main -c config_file=$(ls /etc/postgresql/*/main/postgresql.conf)"]',
  ] },
  { name: 'redis', category: 'databases', ready: 'log:Ready to accept connections', recipe: [
    `${APT} redis-server ${CLEAN}`, 'CMD ["redis-server", "--protected-mode", "no"]',
  ] },
  { name: 'mariadb', category: 'databases', ready: 'log:ready for connections', recipe: [
    `${APT} mariadb-server ${CLEAN}`, 'RUN mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld', 'CMD ["mariadbd", "--user=mysql"]',
  ] },
  { name: 'nginx', category: 'web', ready: 'http:80/', recipe: [`${APT} nginx ${CLEAN}`, 'CMD ["nginx", "-g", "daemon off;"]'] },
  { name: 'apache2', category: 'web', ready: 'http:80/', recipe: [`${APT} apache2 ${CLEAN}`, 'CMD ["apache2ctl", "-D", "FOREGROUND"]'] },
  { name: 'gcc', category: 'other', ready: 'exit', recipe: [
    `${APT} gcc libc6-dev ${CLEAN}`,
    'RUN printf \'#include <stdio.h>\\nint main(void) { puts("hello"); return 0; }\\n\' > /hello.c',
    'CMD ["sh", "-c", "gcc -o /tmp/hello /hello.c && /tmp/hello"]',
  ] },
];

export interface SuiteOptions {
  /** Where the archives are kept (default ~/.cache/stowage/hello). */
  cacheDir: string;
  /** Names or categories to take (default all). */
  pick?: string[];
  debianSuite?: string;
  mirror?: string;
}

/** The suite images `pick` names (by name or category); an unknown name is bad input. */
export function pickSuite(pick: string[] | undefined): SuiteImage[] {
  if (!pick?.length) return [...HELLO_SUITE];
  const out = HELLO_SUITE.filter((s) => pick.includes(s.name) || pick.includes(s.category));
  const unknown = pick.filter((p) => !HELLO_SUITE.some((s) => s.name === p || s.category === p));
  if (unknown.length) {
    throw new BadInputError(`no suite image or category ${unknown.join(', ')}`,
      `Pick from: ${HELLO_SUITE.map((s) => s.name).join(', ')} or distro, languages, databases, web, other.`);
  }
  return out;
}

function recipeHash(options: SuiteOptions, image: SuiteImage): string {
  return createHash('sha256').update(JSON.stringify([1, options.debianSuite ?? 'bookworm', image.recipe])).digest('hex').slice(0, 12);
}

/**
 * The picked suite images as bench inputs, building (debootstrap, then `docker build --network host`) and
 * caching those not cached yet.
 */
export async function ensureSuite(options: SuiteOptions, context: CapabilityContext): Promise<HelloImage[]> {
  const picked = pickSuite(options.pick);
  mkdirSync(options.cacheDir, { recursive: true });
  const entries = picked.map((s) => {
    const hash = recipeHash(options, s);
    return { s, tag: `stowage-hello/${s.name}:${hash}`, archive: join(options.cacheDir, `${s.name}-${hash}.tar`) };
  });
  const missing = entries.filter((e) => !existsSync(e.archive));
  if (missing.length) {
    const engine = await context.engine();
    const base = `stowage-hello/debian-base:${process.pid}`;
    context.progress.update({ step: `debootstrap ${options.debianSuite ?? 'bookworm'} (the suite's base)` });
    await withDebianRootfs({ suite: options.debianSuite ?? 'bookworm', mirror: options.mirror ?? 'http://deb.debian.org/debian', signal: context.signal },
      async (tar) => { const id = await engine.importImage(tar); const [r, t] = [base.split(':')[0]!, base.split(':')[1]!]; await engine.tagImage(id, r, t); });
    const failures: string[] = [];
    try {
      for (const [k, e] of missing.entries()) {
        context.progress.update({ step: `building ${e.s.name}`, done: k, total: missing.length, unit: 'items' });
        const dir = mkdtempSync(join(tmpdir(), 'stowage-hello-build-'));
        try {
          writeFileSync(join(dir, 'Dockerfile'), [`FROM ${base}`, 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...e.s.recipe, ''].join('\n'));
          let failure = '';
          await engine.buildImage({ contextDir: dir, dockerfile: 'Dockerfile', tag: e.tag, builder: 'classic', networkMode: 'host' }, (m) => {
            const err = (m.errorDetail as { message?: string } | undefined)?.message ?? m.error;
            if (err) failure = String(err);
          });
          // One recipe that fails (a package renamed upstream) should not cost the other builds: go on, fail at the end.
          if (failure) { failures.push(`${e.s.name}: ${failure}`); continue; }
          const tmp = tempBeside(e.archive);
          try {
            await pipeline(Readable.from(await engine.saveImage(e.tag)), createWriteStream(tmp));
            renameSync(tmp, e.archive);
          } finally {
            rmSync(tmp, { force: true });
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
          await engine.removeImage(e.tag, { force: true }).catch(() => undefined);
        }
      }
    } finally {
      await engine.removeImage(base, { force: true }).catch(() => undefined);
    }
    if (failures.length) throw new HostError(`building the suite failed for ${failures.join('; ')}`);
  }
  return entries.map((e) => ({ name: e.s.name, image: e.tag, rule: parseReadyRule(e.s.ready), category: e.s.category, archive: e.archive }));
}
