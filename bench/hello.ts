/**
 * HelloBench (issue 18; Slacker, FAST '16): the Debian suite (debootstrap base, images in HelloBench's
 * categories built from Debian packages, cached as archives) pushed, pulled from a clean engine and started
 * until ready, N repetitions, layered and flattened, on a docker-registry stowage starts on 127.0.0.1.
 * Prints the table beside Slacker's published figures (pull 76% of start; 6.4% of the image read).
 * Run by hand: `npx tsc -p . && node dist/bench/hello.js [N] [names or categories, comma-separated]`.
 * The first run builds the suite (minutes, needs the Debian mirror); later runs reuse ~/.cache/stowage/hello.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { capabilityContext } from '../src/context.js';
import { runHelloBench } from '../src/bench/hello/hello-bench.js';
import { ensureSuite } from '../src/bench/hello/hello-suite.js';
import { renderHelloText } from '../src/render/hello-text.js';
import { makeStyle } from '../src/render/style.js';
import { requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/hello', ['root', 'engine', 'overlay2', { tool: 'debootstrap', install: 'apt-get install debootstrap' }, { tool: 'fatrace', install: 'apt-get install fatrace' }, { file: '/usr/bin/docker-registry', install: 'apt-get install docker-registry' }]);

const n = Number(process.argv[2] ?? 3);
const pick = process.argv[3] ? process.argv[3].split(',') : undefined;
const progress = {
  update: (u: { step: string }) => process.stderr.write(`hello: ${u.step}\n`),
  note: (m: string) => process.stderr.write(`hello: ${m}\n`),
  end: () => undefined,
};
const context = capabilityContext({ connect: { timeoutMs: 600_000 }, progress });
const images = await ensureSuite({ cacheDir: process.env.STOWAGE_HELLO_CACHE ?? join(homedir(), '.cache', 'stowage', 'hello'), ...(pick ? { pick } : {}) }, context);
const t = performance.now();
const result = await runHelloBench({ images, repetitions: n, flatten: true, bytesRead: 'auto' }, context);
console.log(`bench/hello: ${images.length} Debian images, ${n} repetitions, layered and flattened, ${((performance.now() - t) / 60_000).toFixed(1)} min`);
process.stdout.write(renderHelloText(result, makeStyle(false)));
console.log('Slacker (FAST \'16, 57 Docker Hub images): pull 76% of start time; 6.4% of the pulled data read; flattened/lazy ~5x faster deployment');
if (process.env.STOWAGE_HELLO_JSON) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.STOWAGE_HELLO_JSON, JSON.stringify(result, null, 2));
}
