/** bench disk's parsers: fio's JSON output (recorded from fio 3.33) and the stamped dd-marker probe. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fioDiskArgs, parseFioJson } from '../../src/host/fio.js';
import { CALIBRATION_CALLS, markerProbeScript, parseMarkerProbe } from '../../src/bench/marker-probe.js';
import { LineStamper, type TimedLine } from '../../src/host/shell-probe.js';
import { diskFindings, fioPercentiles, LIMIT_HELD_FACTOR, slowerBy } from '../../src/bench/disk-bench.js';
import { renderDiskText, slowerText } from '../../src/render/bench-text.js';
import { renderFindings } from '../../src/render/findings-text.js';
import { makeStyle } from '../../src/render/style.js';

const sample = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/samples/bench/${name}`, import.meta.url)), 'utf8');

describe('parseFioJson', () => {
  it('reads the three jobs of a recorded run', () => {
    const raw = sample('fio-3jobs.json');
    const report = parseFioJson(`fio: some warning before the document\n${raw}`);
    const doc = JSON.parse(raw);
    assert.equal(report.version, 'fio-3.33');
    assert.deepEqual(report.jobs.map((j) => j.name), ['sync-write', 'randwrite', 'seqwrite']);
    const sync = report.jobs[0]!;
    assert.equal(sync.writeIops, doc.jobs[0].write.iops);
    assert.equal(sync.writeBytes, 8 * 1024 * 1024);
    assert.equal(sync.clatP50Ms, doc.jobs[0].write.clat_ns.percentile['50.000000'] / 1e6);
    assert.equal(sync.clatP99Ms, doc.jobs[0].write.clat_ns.percentile['99.000000'] / 1e6);
    assert.equal(report.jobs[2]!.writeBytesPerSec, doc.jobs[2].write.bw_bytes);
    assert.ok(report.jobs.every((j) => j.error === 0));
  });

  it('refuses output without a document', () => {
    assert.throws(() => parseFioJson('fio: command not found'), SyntaxError);
  });

  it('runs the jobs one after the other, on one file that fio removes', () => {
    const args = fioDiskArgs({ directory: '/d', syncWrites: 10, runtimeSeconds: 3, direct: false }, '.f');
    assert.equal(args.filter((a) => a === '--stonewall').length, 2);
    assert.ok(args.includes('--size=10M') && args.includes('--sync=1') && args.includes('--unlink=1'));
    assert.equal(args.filter((a) => a === '--direct=0').length, 2);
  });
});

describe('marker probe', () => {
  const plan = { syncWrites: 3, smallWrites: 4, sequentialMiB: 8 };
  const lines = (): TimedLine[] => {
    const out: TimedLine[] = [];
    let t = 0;
    const emit = (text: string, after: number) => { t += after; out.push({ atMs: t, text }); };
    emit('@null-begin', 0);
    for (let i = 0; i < CALIBRATION_CALLS; i++) emit('@null', 1);
    emit('@begin', 0);
    for (const ms of [11, 21, 101]) emit('@sync', ms);
    emit('@small-begin', 0);
    for (let i = 0; i < 4; i++) emit('@small', 6);
    emit('@seq-begin', 0);
    emit('@seq-end', 501);
    emit('@end', 1);
    return out;
  };

  it('takes dd start-up off each write and computes rates', () => {
    const r = parseMarkerProbe(lines(), plan);
    assert.ok(r);
    assert.equal(r.ddOverheadMs, 1);
    assert.deepEqual([r.syncWrite.p50Ms, r.syncWrite.maxMs], [20, 100]);
    assert.equal(r.smallWritesPerSec, 4 / (20 / 1000));
    assert.equal(r.sequentialBytesPerSec, 8 * 1024 * 1024 / 0.5);
  });

  it('takes off the fastest dd start-up, so a busier calibration never leaves a write below nothing', () => {
    // the calibration ran while the machine was busy (dd took 40 ms to start, once 5 ms); the writes ran
    // when it was quiet: 100 small writes of 6 ms each. Taking off the median (40 ms) would leave less than
    // nothing and a rate of 0 writes/s
    const out: TimedLine[] = [];
    let t = 0;
    const emit = (text: string, after: number) => { t += after; out.push({ atMs: t, text }); };
    emit('@null-begin', 0);
    for (let i = 0; i < CALIBRATION_CALLS; i++) emit('@null', i === 3 ? 5 : 40);
    emit('@begin', 0);
    for (const ms of [11, 21, 101]) emit('@sync', ms);
    emit('@small-begin', 0);
    for (let i = 0; i < 4; i++) emit('@small', 6);
    emit('@seq-begin', 0);
    emit('@seq-end', 501);
    emit('@end', 1);
    const r = parseMarkerProbe(out, plan)!;
    assert.equal(r.ddOverheadMs, 5);
    assert.deepEqual(r.syncWrite, { count: 3, p50Ms: 16, p99Ms: r.syncWrite.p99Ms, maxMs: 96 });
    assert.equal(r.smallWritesPerSec, 4 / (4 / 1000));
    assert.ok(r.sequentialBytesPerSec > 0);
  });

  it('is undefined when the script stopped early', () => {
    assert.equal(parseMarkerProbe(lines().filter((l) => l.text !== '@end'), plan), undefined);
    assert.equal(parseMarkerProbe(lines().filter((l, i) => !(l.text === '@sync' && i === 24)), plan), undefined);
  });

  it('uses the probe\'s own clock only when its stamps never run backwards (two CPUs\' clocks): else arrival times', () => {
    const stamped = lines().map((l, i) => ({ atMs: 1000 + i, text: `${l.text} ${(5000 + l.atMs).toFixed(3)}` }));
    assert.equal(parseMarkerProbe(stamped, plan)!.clock, 'in-probe');
    assert.equal(parseMarkerProbe(stamped, plan)!.ddOverheadMs, 1);
    // the shell moved to a CPU whose clock runs 144 ms behind, after the third calibration call
    const jumped = stamped.map((l, i) => (i >= 4 ? { ...l, text: l.text.replace(/ ([\d.]+)$/, (_, v: string) => ` ${(Number(v) - 144).toFixed(3)}`) } : l));
    const r = parseMarkerProbe(jumped, plan)!;
    assert.equal(r.clock, 'arrival');
    assert.ok(r.ddOverheadMs >= 0, `never a negative start-up: ${r.ddOverheadMs}`);
  });

  it('pins the probe\'s shell to one CPU before its first marker', () => {
    const script = markerProbeScript(plan).split('\n');
    const pin = script.findIndex((l) => l.includes('taskset'));
    assert.ok(pin >= 0 && pin < script.findIndex((l) => l.startsWith('m @null-begin')), 'before the first marker');
    // run the script's start on this host and read the shell's affinity back
    const out = execFileSync('sh', ['-c', `${script.slice(0, pin + 1).join('\n')}\ntaskset -cp $$`], { encoding: 'utf8' });
    assert.match(out, /affinity list: \d+\n$/, out);
  });

  it('writes a script that removes its files and stops on a failed write', () => {
    const script = markerProbeScript(plan);
    assert.match(script, /conv=notrunc,fsync/);
    assert.match(script, /\|\| exit 3/);
    assert.match(script.split('\n').at(-2)!, /^rm -f /);
  });

  it('stamps lines as their chunks arrive, across chunk boundaries and CRLF', () => {
    let t = 0;
    const s = new LineStamper(() => t);
    s.push('@be');
    t = 5;
    s.push('gin\r\n@sync\r\n');
    t = 9;
    s.push('@end');
    assert.deepEqual(s.end(), [{ atMs: 5, text: '@begin' }, { atMs: 5, text: '@sync' }, { atMs: 9, text: '@end' }]);
  });
});

describe('disk findings', () => {
  const base = {
    path: '/var/lib/docker',
    device: { dataRoot: '/var/lib/docker', mountPoint: '/', fsType: 'ext4', device: 'nvme1n1', majorMinor: '259:1', chain: 'nvme1n1', disk: undefined },
    tool: 'fio' as const, toolDetail: 'fio-3.33',
    randomWrite: { iops: 300, blockBytes: 4096, p99Ms: 900, method: 'fio' },
    sequentialWrite: { bytesPerSec: 32e6, method: 'fio' },
    comparison: undefined,
  };
  it('flags slow sync writes by p99, error past a second', () => {
    const ok = diskFindings({ ...base, syncWrite: { writes: 10, blockBytes: 1 << 20, p50Ms: 3, p99Ms: 8, maxMs: 8, bytesPerSec: 3e8, percentiles: 'exact' as const } });
    assert.deepEqual(ok, []);
    const bad = diskFindings({ ...base, syncWrite: { writes: 10, blockBytes: 1 << 20, p50Ms: 800, p99Ms: 4000, maxMs: 4100, bytesPerSec: 1e6, percentiles: 'exact' as const } });
    assert.equal(bad[0]?.id, 'bench/slow-sync-writes');
    assert.equal(bad[0]?.severity, 'error');
  });

  it('flags a container writing far slower than its host', () => {
    const probe = (p50: number, small: number, seq: number) => ({ clock: 'in-probe' as const, ddOverheadMs: 1, syncWrite: { count: 10, p50Ms: p50, p99Ms: p50, maxMs: p50 }, smallWritesPerSec: small, sequentialBytesPerSec: seq });
    const host = probe(4, 300, 32e6);
    const container = probe(40, 20, 150e3);
    const f = diskFindings({
      ...base, syncWrite: { writes: 10, blockBytes: 1 << 20, p50Ms: 3, p99Ms: 8, maxMs: 8, bytesPerSec: 3e8, percentiles: 'exact' as const },
      comparison: { image: 'debian', writeLimit: undefined, upperDir: '/x/diff', method: 'dd', host, container, slowerBy: slowerBy(host, container) },
    });
    assert.equal(f.length, 1);
    assert.equal(f[0]!.id, 'bench/container-io-slower');
    assert.equal(f[0]!.severity, 'error');
    assert.match(f[0]!.title, /sync writes 10\.0x slower/);
    assert.match(f[0]!.title, /150 kB\/s against 32\.0 MB\/s/);
  });

  it('a write limit the user set explains the slowdown: info, no blkio hunt, same figures as the table', () => {
    const host = { clock: 'in-probe' as const, ddOverheadMs: 0.9, syncWrite: { count: 10, p50Ms: 0.842, p99Ms: 1.3, maxMs: 1.3 }, smallWritesPerSec: 400, sequentialBytesPerSec: 273e6 };
    const container = { clock: 'in-probe' as const, ddOverheadMs: 1.1, syncWrite: { count: 10, p50Ms: 310, p99Ms: 330, maxMs: 330 }, smallWritesPerSec: 25, sequentialBytesPerSec: 12e6 };
    const r = {
      ...base, syncWrite: { writes: 10, blockBytes: 1 << 20, p50Ms: 3, p99Ms: 8, maxMs: 8, bytesPerSec: 3e8, percentiles: 'exact' as const },
      comparison: { image: 'busybox', writeLimit: { path: '/dev/vda', rate: 50 }, upperDir: undefined, method: 'dd', host, container, slowerBy: slowerBy(host, container) },
    };
    const f = diskFindings(r);
    assert.equal(f.length, 1);
    assert.equal(f[0]!.id, 'bench/container-io-slower');
    assert.equal(f[0]!.severity, 'info');
    // said as the user's limit, and compared with it: 25 fsync'd writes/s under 50 write IOPS
    assert.match(f[0]!.title, /^The busybox container ran limited as you asked \(--write-iops 50\): 25 4k fsync'd writes\/s against the limit of 50 write IOPS on \/dev\/vda; against the host unlimited: sync writes 368\.2x slower/);
    assert.doesNotMatch(JSON.stringify(f[0]), /blkio/);
    const style = makeStyle(false);
    const table = renderDiskText({ schemaVersion: 1, ...r, findings: f }, style);
    const findingText = renderFindings(f, style);
    // every figure reads the same in the table and in the evidence: 842 µs, not a rounded 800 µs
    const cell = (row: string, col: number) => table.split('\n').findLast((l) => l.startsWith(`${row}  `))!.slice(row.length).trim().split(/\s{2,}/)[col - 1]!;
    assert.equal(cell('sync write 1.05 MB p50', 1), '842 µs');
    assert.match(findingText, new RegExp(`host sync write p50: ${cell('sync write 1.05 MB p50', 1)}$`, 'm'));
    assert.match(findingText, new RegExp(`container sync write p50: ${cell('sync write 1.05 MB p50', 2)}$`, 'm'));
    assert.match(findingText, new RegExp(`host sequential: ${cell('sequential write', 1).replace('/', '\\/')}$`, 'm'));
    assert.match(findingText, new RegExp(`container sequential: ${cell('sequential write', 2).replace('/', '\\/')}$`, 'm'));
    assert.match(findingText, /container 4k fsync'd writes\/s against the limit: 50%$/m);
    assert.match(table, /^sync write 1.05 MB p50\s+842 µs\s+310 ms\s+368\.17x slower$/m);
    assert.match(table, /^dd start-up \(taken off\)\s+900 µs\s+1\.1 ms$/m);
    // timed by arrival, a batched stream can leave nothing to take off: that is not a measured 0 µs
    const batched = { ...container, clock: 'arrival' as const, ddOverheadMs: 0 };
    const arrival = renderDiskText({ schemaVersion: 1, ...r, comparison: { ...r.comparison, container: batched }, findings: [] }, style);
    assert.match(arrival, /^dd start-up \(taken off\)\s+900 µs\s+not measured$/m);

    // limited and no slower than the host: still said, as info (the user wants to know the limit held)
    const alike = { ...host, smallWritesPerSec: 40 };
    const same = diskFindings({ ...r, comparison: { ...r.comparison, host: alike, container: alike, slowerBy: slowerBy(alike, alike) } });
    assert.equal(same.length, 1);
    assert.equal(same[0]!.severity, 'info');
    assert.match(same[0]!.title, /40 4k fsync'd writes\/s against the limit of 50 write IOPS on \/dev\/vda; no slower than the host on the other rows$/);
  });

  it('a write limit that did not hold is a warning: more fsync\'d writes than the limit allows', () => {
    const probe = { clock: 'in-probe' as const, ddOverheadMs: 0.9, syncWrite: { count: 10, p50Ms: 2, p99Ms: 3, maxMs: 3 }, smallWritesPerSec: 400, sequentialBytesPerSec: 273e6 };
    const f = diskFindings({
      ...base, syncWrite: { writes: 10, blockBytes: 1 << 20, p50Ms: 3, p99Ms: 8, maxMs: 8, bytesPerSec: 3e8, percentiles: 'exact' as const },
      comparison: { image: 'busybox', writeLimit: { path: '/dev/vda', rate: 50 }, upperDir: undefined, method: 'dd', host: probe, container: probe, slowerBy: slowerBy(probe, probe) },
    });
    assert.equal(f.length, 1);
    assert.equal(f[0]!.severity, 'warn');
    assert.match(f[0]!.title, /^The write limit you set did not hold: the busybox container made 400 4k fsync'd writes\/s against the limit of 50 write IOPS on \/dev\/vda$/);
    // at the margin, a limit that held
    const edge = { ...probe, smallWritesPerSec: 50 * LIMIT_HELD_FACTOR };
    const held = diskFindings({
      ...base, syncWrite: { writes: 10, blockBytes: 1 << 20, p50Ms: 3, p99Ms: 8, maxMs: 8, bytesPerSec: 3e8, percentiles: 'exact' as const },
      comparison: { image: 'busybox', writeLimit: { path: '/dev/vda', rate: 50 }, upperDir: undefined, method: 'dd', host: probe, container: edge, slowerBy: slowerBy(probe, edge) },
    });
    assert.equal(held[0]!.severity, 'info');
  });

  it('slow sync writes carry the figures the table shows, unrounded', () => {
    const r = { ...base, syncWrite: { writes: 10, blockBytes: 1 << 20, p50Ms: 184.26, p99Ms: 842.7, maxMs: 900, bytesPerSec: 5.4e6, percentiles: 'exact' as const } };
    const f = diskFindings(r);
    const style = makeStyle(false);
    const table = renderDiskText({ schemaVersion: 1, ...r, findings: f }, style);
    const text = renderFindings(f, style);
    const p99 = /^sync write 1.05 MB p99\s+(\S+ \S+)/m.exec(table)![1]!;
    assert.equal(p99, '843 ms');
    assert.match(text, new RegExp(`sync write p99: ${p99}$`, 'm'));
    assert.match(text, new RegExp(`sequential write: ${/^sequential write\s+(\S+ \S+)/m.exec(table)![1]!.replace('/', '\\/')}$`, 'm'));
  });
});

describe('bench disk figures that add up', () => {
  it("clamps fio's binned percentiles to the exact max and says so", () => {
    // recorded: fio 3.33 gave p99 3.35872 ms (a bin edge) with max 3.356005 ms
    const p = fioPercentiles(1.2, 3.35872, 3.356005);
    assert.deepEqual(p, { p50Ms: 1.2, p99Ms: 3.356005, maxMs: 3.356005, percentiles: 'fio-bins-clamped' });
    assert.ok(Number.isNaN(fioPercentiles(undefined, 2, 3).p50Ms));
  });

  it('reads one direction in every row of the comparison: above 1 is slower inside', () => {
    const host = { clock: 'in-probe' as const, ddOverheadMs: 1, syncWrite: { count: 10, p50Ms: 4, p99Ms: 5, maxMs: 5 }, smallWritesPerSec: 300, sequentialBytesPerSec: 300e6 };
    const container = { ...host, syncWrite: { count: 10, p50Ms: 8, p99Ms: 5, maxMs: 5 }, smallWritesPerSec: 100, sequentialBytesPerSec: 600e6 };
    const k = slowerBy(host, container);
    assert.deepEqual(k, { syncP50: 2, syncP99: 1, smallWrites: 3, sequential: 0.5 });
    assert.deepEqual([k.syncP50, k.syncP99, k.smallWrites, k.sequential].map(slowerText), ['2.00x slower', 'same', '3.00x slower', '2.00x faster']);
  });

  it('times markers by the clock each carries, not by batched arrival', () => {
    // what the attach stream delivered from a busybox container: the twenty @null markers in two batches,
    // each marker carrying the shell's scheduler clock (ms since boot)
    const plan = { syncWrites: 2, smallWrites: 2, sequentialMiB: 64 };
    const raw: TimedLine[] = [];
    let clock = 856_000;
    const emit = (text: string, took: number, arrival: number) => { clock += took; raw.push({ atMs: arrival, text: `${text} ${clock.toFixed(6)}` }); };
    emit('@null-begin', 0, 10);
    for (let i = 0; i < CALIBRATION_CALLS; i++) emit('@null', 8, i < 10 ? 10 : 170);
    emit('@begin', 0, 170);
    emit('@sync', 20, 171);
    emit('@sync', 30, 171);
    emit('@small-begin', 0, 171);
    emit('@small', 10, 230);
    emit('@small', 10, 230);
    emit('@seq-begin', 0, 230);
    emit('@seq-end', 264, 231);
    emit('@end', 1, 231);
    const byClock = parseMarkerProbe(raw, plan)!;
    assert.equal(byClock.clock, 'in-probe');
    assert.ok(Math.abs(byClock.ddOverheadMs - 8) < 1e-6, `dd start-up ${byClock.ddOverheadMs}`);
    assert.ok(Math.abs(byClock.syncWrite.p50Ms - 17) < 1e-6, `sync p50 ${byClock.syncWrite.p50Ms}`);
    assert.ok(Math.abs(byClock.sequentialBytesPerSec - 64 * 1024 * 1024 / 0.256) < 1, 'sequential from its two markers');
    // the same lines timed by arrival, as before: the dd start-up reads 0 and the 64 MiB write 64 GB/s
    const byArrival = parseMarkerProbe(raw.map((l) => ({ atMs: l.atMs, text: l.text.split(' ')[0]! })), plan)!;
    assert.equal(byArrival.clock, 'arrival');
    assert.equal(byArrival.ddOverheadMs, 0);
    assert.ok(byArrival.sequentialBytesPerSec > 10 * byClock.sequentialBytesPerSec);
  });
});
