/**
 * What `stowage watch` costs the host it watches (issue 17): its CPU and RSS over a run at 1 Hz with the
 * canary every 10 s and a scrape of /metrics every 15 s, beside a bare loop doing node_exporter's reads
 * (diskstats, stat, PSI and a statfs, once a second) running at the same time.
 * Run by hand: `npm run build && node dist/bench/watch-cost.js [SECONDS]` (default 600). watch runs as bin/stowage
 * starts it, with node's --single-threaded --max-semi-space-size=1; STOWAGE_WATCH_NODE_FLAGS='' runs it without,
 * for comparison.
 * Targets: watch under 1% of a core; RSS flat (no growth after the first minute). Both processes run with
 * bench/support/gc-probe (a forced full GC on SIGUSR2, then RSS and heap used): "flat" is judged on the heap
 * after that GC at minute 1 and at the end, since raw RSS also moves with what the allocator keeps; and on the
 * anonymous part of RSS after that GC (RssAnon in /proc/PID/status), since the file-backed part is the node
 * binary's own code, paged in when V8 first runs some of it (the bare loop shows the same step, about 3.5 MB
 * at about 5 minutes), shared with every node process and dropped by the kernel when memory is short. The
 * anonymous part is split further by mapping (/proc/PID/smaps): glibc's main heap, and the arenas glibc gives
 * other threads, where V8's worker threads compile and mark (see anonParts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STOWAGE_BIN } from '../test/support/run-cli.js';
import { freePort } from '../test/support/free-port.js';
import { ensureBusybox } from '../test/support/docker-cli.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { noteBundleState } from './support/bundle-state.js';

requirePrerequisites('bench/watch-cost', ['engine', NEEDS.busybox, NEEDS.tar]);
noteBundleState();

const seconds = Number(process.argv[2] ?? 600);
const image = await ensureBusybox();
const port = await freePort();
/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICK = 100;

/**
 * The bare loop: what node_exporter reads each second for the same figures and nothing else: diskstats,
 * stat (its procs_blocked counts the tasks waiting on I/O), PSI and a statfs. watch adds the D-state scan of
 * every thread on every tenth reading and while tasks wait, to name them.
 */
const BARE = `
const fs = require('node:fs');
const read = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return ''; } };
setInterval(() => {
  read('/proc/diskstats'); read('/proc/stat'); read('/proc/pressure/io');
  fs.statfsSync('/var/lib/docker');
}, 1000);
`;

function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** RSS and its anonymous and file-backed parts, in bytes (/proc/PID/status). */
function memOf(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kB('VmRSS'), anon: kB('RssAnon'), file: kB('RssFile') + kB('RssShmem') };
}

/**
 * Anonymous memory by where it lies (/proc/PID/smaps), in bytes: glibc's main heap (`[heap]`), the arenas glibc
 * gives other threads (anonymous mappings aligned to 64 MiB, its arena size: V8's worker threads compile and
 * mark there), and the rest (V8's heap pages and code, thread stacks).
 */
function anonParts(pid: number): { main: number; arenas: number } {
  let main = 0;
  let arenas = 0;
  let kind: 'main' | 'arena' | 'other' = 'other';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (m) {
      // 64 MiB-aligned and in the mmap area near the top of the address space: one of V8's 256 kB heap pages,
      // placed at random lower addresses, can be 64 MiB-aligned by chance
      const start = BigInt(`0x${m[1]}`);
      kind = m[2] === '[heap]' ? 'main' : !m[2] && start % (64n << 20n) === 0n && start >= 0x7e0000000000n ? 'arena' : 'other';
      continue;
    }
    const a = /^Anonymous:\s+(\d+) kB$/.exec(line);
    if (!a) continue;
    if (kind === 'main') main += Number(a[1]) * 1024;
    else if (kind === 'arena') arenas += Number(a[1]) * 1024;
  }
  return { main, arenas };
}

const probeDir = mkdtempSync(join(tmpdir(), 'stowage-watch-cost-'));
const PROBE = fileURLToPath(new URL('./support/gc-probe.js', import.meta.url));
const probed = (name: string) => ({ args: ['--expose-gc', '--import', PROBE], env: { ...process.env, STOWAGE_GC_PROBE: join(probeDir, `${name}.ndjson`) } });
interface AfterGc { at: number; rss: number; heapUsed: number; codeUsed: number; dataUsed: number; external: number; arrayBuffers: number; anon: number; file: number; main: number; arenas: number }
/** Forces a GC in both processes and returns what each reported after it. */
async function afterGc(): Promise<{ watch: AfterGc; bare: AfterGc }> {
  const count = (name: string) => { try { return readFileSync(join(probeDir, `${name}.ndjson`), 'utf8').trim().split('\n').filter(Boolean).length; } catch { return 0; } };
  const before = { watch: count('watch'), bare: count('bare') };
  watch.kill('SIGUSR2');
  bare.kill('SIGUSR2');
  for (let i = 0; i < 100 && (count('watch') === before.watch || count('bare') === before.bare); i++) await sleep(100);
  // RSS's parts read right after the collection, by this process (the probe reports what node knows)
  const lastOf = (name: string, pid: number): AfterGc => {
    const { anon, file } = memOf(pid);
    return { ...JSON.parse(readFileSync(join(probeDir, `${name}.ndjson`), 'utf8').trim().split('\n').pop()!) as AfterGc, anon, file, ...anonParts(pid) };
  };
  return { watch: lastOf('watch', watch.pid!), bare: lastOf('bare', bare.pid!) };
}

const watchProbe = probed('watch');
const bareProbe = probed('bare');
// with the V8 flag bin/stowage's line 2 starts watch with (the probe's flags need node's command line, so the
// bench starts node itself); STOWAGE_WATCH_NODE_FLAGS='' measures watch without it, for comparison
const nodeFlags = (process.env.STOWAGE_WATCH_NODE_FLAGS ?? '--single-threaded --max-semi-space-size=1').split(' ').filter(Boolean);
const watch: ChildProcess = spawn(process.execPath, [...nodeFlags, ...watchProbe.args, STOWAGE_BIN, 'watch', '--quiet', '--listen', `127.0.0.1:${port}`, '--interval', '1s',
  '--canary', image, '--canary-cmd', 'true', '--every', '10s'], { stdio: ['ignore', 'ignore', 'inherit'], env: watchProbe.env });
const bare: ChildProcess = spawn(process.execPath, [...bareProbe.args, '-e', BARE], { stdio: 'ignore', env: bareProbe.env });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// watch serves /metrics once it has started; on a loaded machine that can take well over a few seconds
const up = async () => { try { return (await fetch(`http://127.0.0.1:${port}/metrics`)).ok; } catch { return false; } };
for (let i = 0; !(await up()); i++) {
  if (i >= 120 || watch.exitCode !== null) {
    watch.kill('SIGKILL');
    bare.kill('SIGKILL');
    throw new Error('stowage watch did not serve /metrics within 60 s');
  }
  await sleep(500);
}
const rows: { t: number; watchRss: number; bareRss: number }[] = [];
const start = { watch: cpuTicks(watch.pid!), bare: cpuTicks(bare.pid!), at: performance.now() };
let scrapes = 0;
const gcRows: { t: number; watch: AfterGc; bare: AfterGc }[] = [];
for (let t = 0; t < seconds; t += 5) {
  if (t > 0 && t % 60 === 0) gcRows.push({ t, ...(await afterGc()) });
  if (t % 15 === 0) {
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    if (!body.includes('stowage_watch_readings_total')) throw new Error('no metrics');
    scrapes++;
  }
  if (t % 10 === 0) rows.push({ t, watchRss: memOf(watch.pid!).rss, bareRss: memOf(bare.pid!).rss });
  await sleep(5000);
}
const wallS = (performance.now() - start.at) / 1000;
const watchCpu = (cpuTicks(watch.pid!) - start.watch) / TICK / wallS * 100;
const bareCpu = (cpuTicks(bare.pid!) - start.bare) / TICK / wallS * 100;
const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const canaries = Number(/^stowage_container_start_duration_seconds_count\{[^}]*\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
gcRows.push({ t: Math.round(wallS), ...(await afterGc()) });
watch.kill('SIGINT');
bare.kill('SIGTERM');
await new Promise((r) => watch.once('close', r));
rmSync(probeDir, { recursive: true, force: true });

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const afterMinute = rows.filter((r) => r.t >= 60);
const first = afterMinute[0] ?? rows[0]!;
const last = rows[rows.length - 1]!;
const growth = last.watchRss - first.watchRss;
const maxAfter = Math.max(...afterMinute.map((r) => r.watchRss), first.watchRss);
console.log(`stowage watch (node ${nodeFlags.join(' ') || 'without flags'}), ${Math.round(wallS)} s at 1 Hz, canary every 10 s (${canaries} starts), ${scrapes} scrapes`);
console.log(`| what | stowage watch | bare /proc loop, same run | ratio | target |`);
console.log(`|---|---|---|---|---|`);
console.log(`| CPU | ${watchCpu.toFixed(2)}% of a core | ${bareCpu.toFixed(2)}% | ${(watchCpu / Math.max(bareCpu, 0.001)).toFixed(1)} | < 1%: ${watchCpu < 1 ? 'met' : 'NOT met'} |`);
console.log(`| RSS at ${first.t} s -> end | ${mb(first.watchRss)} -> ${mb(last.watchRss)} (max ${mb(maxAfter)}) | ${mb(first.bareRss)} -> ${mb(last.bareRss)} | | growth ${mb(growth)}: ${growth <= 2e6 ? 'flat (<= 2 MB): met' : 'NOT flat'} |`);
const gcFirst = gcRows[0]!;
const gcLast = gcRows[gcRows.length - 1]!;
const kB = (b: number) => `${b >= 0 ? '+' : ''}${(b / 1e3).toFixed(0)} kB`;
const grew = (k: 'heapUsed' | 'dataUsed' | 'codeUsed' | 'rss' | 'anon' | 'file' | 'main' | 'arenas', who: 'watch' | 'bare') => gcLast[who][k] - gcFirst[who][k];
const dataGrowth = grew('dataUsed', 'watch');
console.log(`| after a forced GC, RSS at ${gcFirst.t} s -> end | ${mb(gcFirst.watch.rss)} -> ${mb(gcLast.watch.rss)} (${kB(grew('rss', 'watch'))}) | ${mb(gcFirst.bare.rss)} -> ${mb(gcLast.bare.rss)} (${kB(grew('rss', 'bare'))}) | | |`);
const anonGrowth = grew('anon', 'watch');
console.log(`| of it anonymous (RssAnon) | ${mb(gcFirst.watch.anon)} -> ${mb(gcLast.watch.anon)} (${kB(anonGrowth)}) | ${mb(gcFirst.bare.anon)} -> ${mb(gcLast.bare.anon)} (${kB(grew('anon', 'bare'))}) | | growth ${anonGrowth <= 1e6 ? 'flat (<= 1 MB): met' : 'NOT flat'} |`);
console.log(`| of the anonymous part: glibc's arenas of other threads (V8's workers) | ${mb(gcFirst.watch.arenas)} -> ${mb(gcLast.watch.arenas)} (${kB(grew('arenas', 'watch'))}) | ${kB(grew('arenas', 'bare'))} | | |`);
console.log(`| of the anonymous part: glibc's main heap | ${mb(gcFirst.watch.main)} -> ${mb(gcLast.watch.main)} (${kB(grew('main', 'watch'))}) | ${kB(grew('main', 'bare'))} | | |`);
console.log(`| of it file-backed (the node binary's code paged in) | ${kB(grew('file', 'watch'))} | ${kB(grew('file', 'bare'))} | | |`);
console.log(`| after a forced GC, heap used at ${gcFirst.t} s -> end | ${mb(gcFirst.watch.heapUsed)} -> ${mb(gcLast.watch.heapUsed)} (${kB(grew('heapUsed', 'watch'))}) | ${mb(gcFirst.bare.heapUsed)} -> ${mb(gcLast.bare.heapUsed)} (${kB(grew('heapUsed', 'bare'))}) | | |`);
console.log(`| of which compiled code (JIT warm-up) | ${kB(grew('codeUsed', 'watch'))} | ${kB(grew('codeUsed', 'bare'))} | | |`);
console.log(`| of which data (heap less code space) | ${mb(gcFirst.watch.dataUsed)} -> ${mb(gcLast.watch.dataUsed)} (${kB(dataGrowth)}) | ${kB(grew('dataUsed', 'bare'))} | | growth ${dataGrowth <= 100e3 ? 'flat (<= 100 kB): met' : 'NOT flat'} |`);
// V8 keeps tiering functions up for minutes at 1 Hz; the second half of the run shows whether anything still grows
const half = gcRows.find((r) => r.t >= gcLast.t / 2) ?? gcFirst;
const lateGrowth = gcLast.watch.dataUsed - half.watch.dataUsed;
console.log(`| of which data, from ${half.t} s to the end | ${kB(lateGrowth)} | ${kB(gcLast.bare.dataUsed - half.bare.dataUsed)} | | ${lateGrowth <= 100e3 ? 'flat (<= 100 kB): met' : 'NOT flat'} |`);
console.log(`after a forced GC, each minute, watch's heap used / of it data / anonymous RSS / bare loop's heap used / anonymous RSS (kB): ${gcRows.map((r) => `${r.t}s ${(r.watch.heapUsed / 1e3).toFixed(0)}/${(r.watch.dataUsed / 1e3).toFixed(0)}/${(r.watch.anon / 1e3).toFixed(0)}/${(r.bare.heapUsed / 1e3).toFixed(0)}/${(r.bare.anon / 1e3).toFixed(0)}`).join(', ')}`);
// over a long run, the trend says more than two end points: least-squares slope from the fifth minute on
const late = gcRows.filter((r) => r.t >= 300);
if (late.length >= 3) {
  const slope = (ys: number[]) => {
    const xs = late.map((r) => r.t / 3600);
    const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
    const my = ys.reduce((a, y) => a + y, 0) / ys.length;
    return xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  };
  const perHour = (ys: number[]) => `${kB(slope(ys))}/hour`;
  console.log(`trend after a forced GC from ${late[0]!.t} s to ${late[late.length - 1]!.t} s (${late.length} points): watch heap data ${perHour(late.map((r) => r.watch.dataUsed))}, anonymous RSS ${perHour(late.map((r) => r.watch.anon))} (of it thread arenas ${perHour(late.map((r) => r.watch.arenas))}, main heap ${perHour(late.map((r) => r.watch.main))}); bare loop anonymous RSS ${perHour(late.map((r) => r.bare.anon))}`);
}
console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
