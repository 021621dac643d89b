/** Under `--json` an error is a document on stdout too, so a script never has to parse stderr. */
import { ERROR_CODES, type ExitCodeValue } from '../errors.js';
import { SCHEMA_VERSION } from '../render/json-document.js';
import { STOWAGE_VERSION } from '../version.js';

export interface JsonErrorDocument {
  schemaVersion: number;
  command: string | null;
  stowageVersion: string;
  generatedAt: string;
  error: { code: string; exitCode: number; message: string; hint: string | null };
}

export function jsonErrorDocument(
  command: string | undefined, exitCode: ExitCodeValue, message: string, hint: string | undefined, now = new Date(),
): JsonErrorDocument {
  return {
    schemaVersion: SCHEMA_VERSION,
    command: command ?? null,
    stowageVersion: STOWAGE_VERSION,
    generatedAt: now.toISOString(),
    error: { code: ERROR_CODES[exitCode], exitCode, message, hint: hint ?? null },
  };
}
