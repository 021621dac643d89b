/**
 * fio, when the host has it: runs the disk benchmark jobs and parses `--output-format=json`
 * (fio's HOWTO, "JSON output"). The parser is pure and tested on recorded output.
 */
import { unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { hiddenTempPath } from '../atomic-file.js';
import { StowageError } from '../errors.js';
import { hostTools } from './tool-runner.js';

export interface FioJob {
  name: string;
  error: number;
  /** The write side; bench only writes. */
  writeIops: number;
  writeBytesPerSec: number;
  writeBytes: number;
  totalIos: number;
  /** Completion latency percentiles, ms; undefined when fio did not report them. */
  clatP50Ms: number | undefined;
  clatP99Ms: number | undefined;
  clatMaxMs: number | undefined;
}

export interface FioReport {
  version: string;
  jobs: FioJob[];
}

type Json = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? NaN));

/** Parses fio's JSON output; fio may print warnings before the document, so parsing starts at the first `{`. */
export function parseFioJson(text: string): FioReport {
  const start = text.indexOf('{');
  if (start < 0) throw new SyntaxError('no JSON document in fio output');
  const doc = JSON.parse(text.slice(start)) as Json;
  const jobs = Array.isArray(doc.jobs) ? (doc.jobs as Json[]) : [];
  return {
    version: String(doc['fio version'] ?? ''),
    jobs: jobs.map((j) => {
      const w = (j.write ?? {}) as Json;
      const clat = (w.clat_ns ?? {}) as Json;
      const pct = (clat.percentile ?? {}) as Record<string, number>;
      const ms = (ns: unknown) => (Number.isFinite(num(ns)) ? num(ns) / 1e6 : undefined);
      return {
        name: String(j.jobname ?? ''),
        error: num(j.error ?? 0),
        writeIops: num(w.iops ?? 0),
        writeBytesPerSec: num(w.bw_bytes ?? num(w.bw ?? 0) * 1024),
        writeBytes: num(w.io_bytes ?? 0),
        totalIos: num(w.total_ios ?? 0),
        clatP50Ms: ms(pct['50.000000']),
        clatP99Ms: ms(pct['99.000000']),
        clatMaxMs: ms(clat.max),
      };
    }),
  };
}

/** `fio --version`, or undefined when fio is not installed. */
export async function fioVersion(): Promise<string | undefined> {
  try {
    return (await hostTools.run({ tool: 'fio', args: ['--version'], timeoutMs: 5000 })).stdout.toString('utf8').trim();
  } catch (err) {
    if (err instanceof StowageError) return undefined;
    throw err;
  }
}

export interface FioDiskJobs {
  directory: string;
  /** 1 MiB writes with O_SYNC, like `dd bs=1M oflag=sync`. */
  syncWrites: number;
  /** Seconds for each of the random and sequential jobs. */
  runtimeSeconds: number;
  /** O_DIRECT for the random and sequential jobs; off for filesystems without it (tmpfs). */
  direct: boolean;
  /** File sizes, MiB (default 64 and 256); smaller on a nearly full filesystem. */
  randomMiB?: number;
  sequentialMiB?: number;
}

/** The argument list of the three jobs bench disk runs, one after the other (stonewall). */
export function fioDiskArgs(jobs: FioDiskJobs, fileName: string): string[] {
  const direct = `--direct=${jobs.direct ? 1 : 0}`;
  return [
    '--output-format=json', `--directory=${jobs.directory}`, `--filename=${fileName}`, '--unlink=1',
    '--name=sync-write', '--rw=write', '--bs=1M', `--size=${jobs.syncWrites}M`, '--sync=1', '--ioengine=psync',
    '--name=randwrite', '--stonewall', '--rw=randwrite', '--bs=4k', `--size=${jobs.randomMiB ?? 64}M`, '--ioengine=libaio', '--iodepth=32',
    direct, `--runtime=${jobs.runtimeSeconds}`, '--time_based', '--end_fsync=1',
    '--name=seqwrite', '--stonewall', '--rw=write', '--bs=1M', `--size=${jobs.sequentialMiB ?? 256}M`, '--ioengine=libaio', '--iodepth=8',
    direct, `--runtime=${jobs.runtimeSeconds}`, '--time_based', '--end_fsync=1',
  ];
}

/** Runs the jobs (an aborted `signal` kills fio); the job file is unlinked by fio and again here in case fio was killed. */
export async function runFioDiskJobs(jobs: FioDiskJobs, timeoutMs: number, signal?: AbortSignal): Promise<FioReport> {
  const fileName = basename(hiddenTempPath('', 'fio'));
  try {
    const run = await hostTools.run({ tool: 'fio', args: fioDiskArgs(jobs, fileName), timeoutMs, maxStdoutBytes: 16 * 1024 * 1024, ...(signal ? { signal } : {}) });
    return parseFioJson(run.stdout.toString('utf8'));
  } finally {
    await unlink(join(jobs.directory, fileName)).catch(() => undefined);
  }
}
