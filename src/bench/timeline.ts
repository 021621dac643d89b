/** `bench start --out DIR`: the timeline as CSV (iterations, samples) and one JSON document. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderJson } from '../json-document.js';
import type { DeviceSample } from '../measure/sampler.js';
import type { IterationRecord, StartBenchResult } from './start-loop.js';

const ms = (v: number) => (Math.round(v * 10) / 10).toString();

/** RFC 4180 quoting: only when the field holds a comma, quote or newline. */
export function csvField(value: string | number | boolean | undefined): string {
  const s = value === undefined ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function iterationsCsv(records: readonly IterationRecord[]): string {
  const header = 'index,worker,started_ms,total_ms,create_ms,start_ms,wait_ms,remove_ms,exit_code,stall,median_ms,error';
  const rows = records.map((r) => [
    r.index, r.worker, ms(r.startedMs), ms(r.totalMs), ms(r.phasesMs.create), ms(r.phasesMs.start),
    ms(r.phasesMs.wait), ms(r.phasesMs.remove), r.exitCode, r.stall, r.medianMs === undefined ? undefined : ms(r.medianMs), r.error,
  ].map(csvField).join(','));
  return `${[header, ...rows].join('\n')}\n`;
}

export function samplesCsv(samples: readonly DeviceSample[]): string {
  const header = 't_ms,interval_ms,device,read_iops,write_iops,read_bytes_per_s,write_bytes_per_s,read_await_ms,write_await_ms,util_percent,queue_depth,iowait_percent,io_pressure_percent,cpu_busy_percent,d_state_tasks,d_state';
  const f = (v: number) => (Math.round(v * 100) / 100).toString();
  const rows = samples.map((s) => [
    ms(s.tMs), ms(s.intervalMs), s.device, f(s.readIops), f(s.writeIops), Math.round(s.readBytesPerSec), Math.round(s.writeBytesPerSec),
    f(s.readAwaitMs), f(s.writeAwaitMs), f(s.utilPercent), f(s.queueDepth), f(s.iowaitPercent),
    s.ioPressurePercent === undefined ? undefined : f(s.ioPressurePercent), f(s.cpuBusyPercent), s.blockedTasks, s.blocked.join(' | '),
  ].map(csvField).join(','));
  return `${[header, ...rows].join('\n')}\n`;
}

/**
 * Writes iterations.csv, samples.csv and timeline.json (bench start's document with every row) into `dir`;
 * returns the paths written.
 */
export async function writeTimeline(dir: string, result: StartBenchResult & Required<Pick<StartBenchResult, 'iterations' | 'samples'>>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [join(dir, 'iterations.csv'), iterationsCsv(result.iterations)],
    [join(dir, 'samples.csv'), samplesCsv(result.samples)],
    [join(dir, 'timeline.json'), renderJson('bench start', result)],
  ];
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([p]) => p);
}
