/**
 * The one `--json` document every command prints: versioned, so consumers can rely on its shape. Below the
 * capabilities, so one that writes a document itself (bench start's timeline.json) writes the same envelope.
 */
import { STOWAGE_VERSION } from './version.js';

/** Bump when a field is removed or changes meaning; adding fields keeps the version. */
export const SCHEMA_VERSION = 1;

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

export function renderJson<T>(command: string, result: T, now = new Date()): string {
  return `${JSON.stringify(jsonDocument(command, result, now), null, 2)}\n`;
}
