/** Loads recorded samples from test/samples (the compiled tests run from dist/test). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recordedHostFs, type HostFs, type RecordedEntry } from '../../src/host/host-fs.js';

export function samplePath(relative: string): string {
  return fileURLToPath(new URL(`../../../test/samples/${relative}`, import.meta.url));
}

export function readSample(relative: string): string {
  return readFileSync(samplePath(relative), 'utf8');
}

export function sysfsSample(name: string): HostFs {
  const entries = JSON.parse(readSample(`sysfs/${name}.json`)) as Record<string, RecordedEntry>;
  return recordedHostFs(entries);
}
