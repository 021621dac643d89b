/** bench's pure pieces around the loop: timeline CSV, flag parsing, percentiles and the burst estimate. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, iterationsCsv, samplesCsv } from '../../src/bench/timeline.js';
import { parseDuration, parsePositive, splitCommand } from '../../src/cli/bench/bench-flags.js';
import { distribution, percentile } from '../../src/stats.js';
import { burstEstimate } from '../../src/measure/burst-estimate.js';
import { burstFinding } from '../../src/bench/burst-finding.js';
import type { DeviceSample } from '../../src/measure/sampler.js';
import type { IterationRecord } from '../../src/bench/start-loop.js';
import { UsageError } from '../../src/errors.js';

const sample = (tMs: number, iops: number, over: Partial<DeviceSample> = {}): DeviceSample => ({
  tMs, intervalMs: 1000, device: 'nvme1n1', readIops: 0, writeIops: iops, readBytesPerSec: 0, writeBytesPerSec: 0,
  readAwaitMs: 0, writeAwaitMs: 2, utilPercent: 50, queueDepth: 1, iowaitPercent: 0, ioPressurePercent: undefined, cpuBusyPercent: 10, blockedTasks: 0, blocked: [], ...over,
});

describe('timeline CSV', () => {
  it('writes one row per iteration with its phases, quoting errors', () => {
    const rec: IterationRecord = {
      index: 1, worker: 2, startedMs: 10.04, totalMs: 333.33, phasesMs: { create: 20, start: 250.55, wait: 50, remove: 12.78 },
      exitCode: 0, error: 'remove: engine answered 409: "busy", try again', stall: false, medianMs: undefined,
    };
    const lines = iterationsCsv([rec]).trimEnd().split('\n');
    assert.equal(lines[0], 'index,worker,started_ms,total_ms,create_ms,start_ms,wait_ms,remove_ms,exit_code,stall,median_ms,error');
    assert.equal(lines[1], '1,2,10,333.3,20,250.6,50,12.8,0,false,,"remove: engine answered 409: ""busy"", try again"');
  });

  it('writes the samples with D-state tasks joined', () => {
    const csv = samplesCsv([sample(1000, 300, { blockedTasks: 2, blocked: ['dd[9] io_schedule', 'kworker/1:1[20]'] })]);
    const row = csv.trimEnd().split('\n')[1]!.split(',');
    assert.equal(row[2], 'nvme1n1');
    assert.equal(row[4], '300');
    assert.equal(row[12], '', 'no PSI on this sample');
    assert.equal(row[13], '10');
    assert.equal(row[14], '2');
    assert.equal(row[15], 'dd[9] io_schedule | kworker/1:1[20]');
  });

  it('quotes only what needs it', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a\nb'), '"a\nb"');
    assert.equal(csvField(undefined), '');
  });
});

describe('bench flags', () => {
  it('parses durations', () => {
    assert.equal(parseDuration('30s', '--duration'), 30_000);
    assert.equal(parseDuration('5m', '--duration'), 300_000);
    assert.equal(parseDuration('1.5h', '--duration'), 5_400_000);
    assert.equal(parseDuration('250ms', '--duration'), 250);
    assert.equal(parseDuration('10', '--duration'), 10_000);
    assert.throws(() => parseDuration('soon', '--duration'), UsageError);
  });

  it('splits a command like a shell, without expanding', () => {
    assert.deepEqual(splitCommand('date'), ['date']);
    assert.deepEqual(splitCommand(`sh -c 'echo "a b" $HOME'`), ['sh', '-c', 'echo "a b" $HOME']);
    assert.deepEqual(splitCommand('echo "x\\"y" \'\' z\\ w'), ['echo', 'x"y', '', 'z w']);
    assert.throws(() => splitCommand("sh -c 'oops"), UsageError);
  });

  it('refuses zero and fractions where a count is needed', () => {
    assert.equal(parsePositive('4', '-n'), 4);
    assert.throws(() => parsePositive('0', '-n'), UsageError);
    assert.throws(() => parsePositive('1.5', '-n'), UsageError);
    assert.equal(parsePositive('2.5', '--stall-factor', false), 2.5);
  });
});

describe('percentiles', () => {
  it('interpolates between closest ranks', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([5], 99), 5);
    const d = distribution([10, 40, 20, 30, 1000]);
    assert.equal(d.p50, 30);
    assert.equal(d.max, 1000);
    assert.equal(d.min, 10);
    assert.ok(Number.isNaN(distribution([]).p50));
  });
});

describe('burst estimate', () => {
  const disk = (model: string | undefined) => ({ name: 'nvme1n1', sizeBytes: 100 * 1024 ** 3, rotational: false, scheduler: 'none', model, vendor: undefined, serial: 'vol0abc' });

  it('models an EBS volume as gp2 and says how long a bucket lasts at the run rate', () => {
    const samples = Array.from({ length: 10 }, (_, i) => sample((i + 1) * 1000, 1300));
    const b = burstEstimate(disk('Amazon Elastic Block Store'), samples, 'auto');
    assert.ok(b);
    assert.equal(b.model.baselineIops, 300);
    assert.equal(b.meanIops, 1300);
    assert.equal(b.creditsSpent, 10 * (1300 - 300));
    assert.equal(b.fullBucketSecondsAtMean, 5_400_000 / 1000);
    const f = burstFinding(b);
    assert.equal(f.id, 'bench/burst-credits');
    assert.equal(f.severity, 'warn');
    assert.deepEqual(f.subject, { kind: 'device', id: 'nvme1n1' });
  });

  it('calls the credits spent when IOPS sit at baseline while tasks wait', () => {
    const samples = Array.from({ length: 10 }, (_, i) => sample((i + 1) * 1000, 300 + (i % 2 ? 10 : -10), { blockedTasks: 4, iowaitPercent: 80 }));
    const b = burstEstimate(disk('Amazon Elastic Block Store'), samples, 'auto');
    const f = burstFinding(b!);
    assert.equal(f.severity, 'error');
    assert.match(f.title, /sat at the gp2 baseline of 300/);
  });

  it('stays silent on an unknown disk unless gp2 is asked for', () => {
    const samples = [sample(1000, 500)];
    assert.equal(burstEstimate(disk('QEMU HARDDISK'), samples, 'auto'), undefined);
    assert.equal(burstEstimate(disk('Amazon Elastic Block Store'), samples, 'none'), undefined);
    assert.match(burstEstimate(disk('QEMU HARDDISK'), samples, 'gp2')!.basis, /--burst-model gp2/);
  });
});
