/**
 * The one `--json` document every command prints: the capability's result as it returned it (versioned by
 * its own `schemaVersion`), under `result`, with what names the run: the command, stowage's version, the time.
 */
import { SCHEMA_VERSION, STOWAGE_VERSION } from '../version.js';

export { SCHEMA_VERSION } from '../version.js';

export interface JsonDocument<T> {
  schemaVersion: number;
  command: string;
  stowageVersion: string;
  generatedAt: string;
  result: T;
}

export function jsonDocument<T>(command: string, result: T, now = new Date()): JsonDocument<T> {
  return { schemaVersion: SCHEMA_VERSION, command, stowageVersion: STOWAGE_VERSION, generatedAt: now.toISOString(), result };
}

export function renderJson<T>(command: string, result: T): string {
  return `${JSON.stringify(jsonDocument(command, result), null, 2)}\n`;
}
