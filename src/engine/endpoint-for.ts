/**
 * Where the engine is, from the flags, the environment and the docker CLI's config, without connecting. Kept
 * apart from the engine client so that a command that never connects (lint) loads no HTTP, TLS or socket code.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolveEndpoint, type Endpoint } from './endpoint.js';

export interface ConnectOptions {
  host?: string | undefined;
  context?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Per-request limit; the engine is declared hung past it. */
  timeoutMs?: number;
}

/** Resolves the endpoint without connecting; used to report where stowage looked. */
export function endpointFor(options: ConnectOptions = {}): Endpoint {
  return resolveEndpoint({
    hostFlag: options.host,
    contextFlag: options.context,
    env: options.env ?? process.env,
    homeDir: homedir(),
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}

