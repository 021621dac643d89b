/**
 * HelloBench (issue 18; Slacker, FAST '16): the Debian suite (debootstrap base, images in HelloBench's
 * categories built from Debian packages, cached as archives) pushed, pulled from a clean engine and started
 * until ready, N repetitions, layered and flattened, on a docker-registry stowage starts on 127.0.0.1.
 * Prints the table beside Slacker's published figures (pull 76% of start; 6.4% of the image read) and the
 * load average before and after.
 * Run by hand: `npx tsc -p . && node dist/bench/hello.js [N] [names or categories, comma-separated]`;
 * `STOWAGE_HELLO_BANDWIDTH=100mbit` shapes the registry's traffic, `STOWAGE_HELLO_JSON=FILE` keeps the document
 * (rewritten after each image, so a long run that is stopped keeps what it measured); with
 * `STOWAGE_HELLO_RESUME=1` a run goes on from that document, skipping the images it already has.
 * The first run builds the suite (minutes, needs the Debian mirror); later runs reuse ~/.cache/stowage/hello.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { capabilityContext } from '../src/context.js';
import { runHelloBench, suiteFigures, type HelloBenchResult } from '../src/bench/hello/hello-bench.js';
import { ensureSuite } from '../src/bench/hello/hello-suite.js';
import { parseLinkRate } from '../src/bench/hello/link-rate.js';
import { renderHelloText } from '../src/render/hello-text.js';
import { renderJson } from '../src/render/json-document.js';
import { makeStyle } from '../src/render/style.js';
import { requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/hello', ['root', 'engine', 'overlay2', { tool: 'debootstrap', install: 'apt-get install debootstrap' }, { tool: 'fatrace', install: 'apt-get install fatrace' }, { file: '/usr/bin/docker-registry', install: 'apt-get install docker-registry' }]);

const n = Number(process.argv[2] ?? 3);
const pick = process.argv[3] ? process.argv[3].split(',') : undefined;
const bandwidth = process.env.STOWAGE_HELLO_BANDWIDTH ? parseLinkRate(process.env.STOWAGE_HELLO_BANDWIDTH) : undefined;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const progress = {
  update: (u: { step: string }) => process.stderr.write(`hello: ${new Date().toISOString().slice(11, 19)} ${u.step}\n`),
  note: (m: string) => process.stderr.write(`hello: ${m}\n`),
  end: () => undefined,
};
const context = capabilityContext({ connect: { timeoutMs: 600_000 }, progress });
const images = await ensureSuite({ cacheDir: process.env.STOWAGE_HELLO_CACHE ?? join(homedir(), '.cache', 'stowage', 'hello'), ...(pick ? { pick } : {}) }, context);
// in the order named, so a run stopped early has the categories it was given first
if (pick) images.sort((a, b) => pick.indexOf(a.name) - pick.indexOf(b.name));
const loadBefore = loadavg();
const t = performance.now();
// one image at a time, each on a registry of its own: the table grows as images finish
const jsonFile = process.env.STOWAGE_HELLO_JSON;
let total: HelloBenchResult | undefined = process.env.STOWAGE_HELLO_RESUME && jsonFile && existsSync(jsonFile)
  ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as { result: HelloBenchResult }).result : undefined;
const done = new Set(total?.images.map((i) => i.name));
for (const image of images) {
  if (done.has(image.name)) continue;
  process.stderr.write(`hello: ${image.name}: load average ${loadavg()}\n`);
  const one = await runHelloBench({ images: [image], repetitions: n, flatten: true, bytesRead: 'auto', ...(bandwidth ? { shape: { rateBitsPerSec: bandwidth } } : {}) }, context);
  total = total
    ? { ...total, images: [...total.images, ...one.images], findings: [...total.findings, ...one.findings], interrupted: total.interrupted || one.interrupted }
    : one;
  total.suite = suiteFigures(total.images);
  process.stderr.write(renderHelloText(one, makeStyle(false)));
  if (jsonFile) writeFileSync(jsonFile, renderJson('bench hello', total));
  if (one.interrupted) break;
}
console.log(`bench/hello: ${total?.suite.images ?? 0} Debian images, ${n} repetitions, layered and flattened, ${((performance.now() - t) / 60_000).toFixed(1)} min; load average ${loadBefore} before, ${loadavg()} after`);
if (total) process.stdout.write(renderHelloText(total, makeStyle(false)));
console.log('Slacker (FAST \'16, 57 Docker Hub images): pull 76% of start time; 6.4% of the pulled data read; flattened/lazy ~5x faster deployment');
