/**
 * What every capability gets besides its options: the engine (connected once, on first use), the clock,
 * a progress sink and an AbortSignal. A capability is `(options, context)`; it returns data and never
 * prints. Library callers build one with `capabilityContext()`; the CLI builds one from its global flags.
 */
import { type Clock, systemClock } from './clock.js';
import { endpointFor, type ConnectOptions } from './engine/endpoint-for.js';
import type { EngineClient } from './engine/engine-client.js';
import type { Endpoint } from './engine/endpoint.js';
import { type Progress, silentProgress } from './progress.js';

export interface CapabilityContext {
  /** The engine, connected on the first call and shared by every later one; rejects with EngineUnreachableError (a later call tries again). */
  engine(): Promise<EngineClient>;
  /** Where the engine is (or would be), without connecting: for reports and local/remote decisions. */
  endpoint(): Endpoint;
  clock: Clock;
  progress: Progress;
  /** Aborted when the caller gives up (Ctrl-C): stop, clean up what was started, and reject with its reason. */
  signal: AbortSignal;
}

export interface ContextOptions {
  /** How to reach the engine (docker CLI rules); ignored when `engine` is given. */
  connect?: ConnectOptions;
  /** An engine already connected (library callers, tests). */
  engine?: EngineClient;
  clock?: Clock;
  progress?: Progress;
  signal?: AbortSignal;
}

/** Per-request limit when the caller sets none: a hung engine is declared so after 10 s. */
const DEFAULT_ENGINE_TIMEOUT_MS = 10_000;

export function capabilityContext(options: ContextOptions = {}): CapabilityContext {
  const connect: ConnectOptions = { timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS, ...options.connect };
  let engine: Promise<EngineClient> | undefined = options.engine ? Promise.resolve(options.engine) : undefined;
  let endpoint: Endpoint | undefined = options.engine?.endpoint;
  return {
    // the engine client (HTTP, TLS, sockets) is loaded on first use: a command that never connects (lint) skips it;
    // a failed connect is not kept: an engine that was down answers once started (provision apply restarts it)
    engine: () => (engine ??= import('./engine/dockerode-engine.js').then((m) => m.connectEngine(connect))
      .catch((err: unknown) => { engine = undefined; throw err; })),
    endpoint: () => (endpoint ??= endpointFor(connect)),
    clock: options.clock ?? systemClock,
    progress: options.progress ?? silentProgress,
    signal: options.signal ?? new AbortController().signal,
  };
}
