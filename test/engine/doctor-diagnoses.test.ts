/**
 * doctor's diagnoses on real hosts and engines (issue 20): iowait on a device that is not data-root's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctor } from '../../src/doctor/doctor.js';
import { ioChecks } from '../../src/doctor/io-checks.js';

describe('io/high-iowait on a host where another device is busy', () => {
  it('measures the busy loop device and does not blame data-root\'s disk', async () => {
    // a loop device over a file in /dev/shm: fio keeps it busy without touching data-root's disk
    const dir = mkdtempSync(join('/dev/shm', 'stowage-busy-'));
    let device = '';
    const fio = { kill: () => undefined as unknown } as { kill: (s?: NodeJS.Signals) => unknown; exited?: Promise<void> };
    try {
      execFileSync('truncate', ['-s', '256M', join(dir, 'disk.img')]);
      device = execFileSync('losetup', ['-f', '--show', join(dir, 'disk.img')], { encoding: 'utf8' }).trim();
      const child = spawn('fio', ['--name=stowage-busy', `--filename=${device}`, '--direct=1', '--rw=randwrite', '--bs=4k',
        '--ioengine=psync', '--numjobs=2', '--thread', '--time_based', '--runtime=30'], { stdio: 'ignore' });
      fio.kill = (s) => child.kill(s);
      fio.exited = new Promise((resolve) => child.once('exit', () => resolve()));
      // --thread: jobs are threads of one process, so one kill stops them all
      await new Promise((r) => setTimeout(r, 1500));
      const report = await runDoctor({ only: ['io'], windowMs: 2000, probe: false });
      const io = report.facts.io;
      assert.ok(io?.devices, `io facts gathered; skipped: ${JSON.stringify(report.facts.skipped)}`);
      const name = device.replace('/dev/', '');
      const busy = io.devices.find((d) => d.device === name);
      assert.ok(busy, `the loop device was measured: ${JSON.stringify(io.devices.map((d) => d.device))}`);
      assert.ok(busy.utilPercent >= 20 && busy.writeIops > 0, `loop device busy: ${busy.utilPercent}% ${busy.writeIops} w/s`);
      const chain = io.rates.map((r) => r.device);
      assert.ok(chain.length > 0 && !chain.includes(name), `data-root's chain ${chain} is another device`);
      // This shared host's CPUs are rarely idle, so iowait itself may stay under the threshold: judge the
      // attribution on the live window's device rates with the iowait raised to it.
      const raised = { ...report.facts, io: { ...io, iowaitPercent: Math.max(io.iowaitPercent ?? 0, 20) } };
      const finding = ioChecks(raised).find((f) => f.id === 'io/high-iowait');
      assert.ok(finding);
      assert.equal(finding.subject.id, name, finding.title);
      assert.match(finding.title, new RegExp(`on ${name} \\(\\d+% busy\\)`));
      for (const d of chain) assert.doesNotMatch(finding.fix?.summary ?? '', new RegExp(`\\b${d}\\b`));
    } finally {
      fio.kill('SIGKILL');
      await fio.exited;
      if (device) execFileSync('losetup', ['-d', device]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
