/** stowage as a library: each capability is a function with typed options that returns data. */
export type { Finding, Severity, Evidence, Fix, Subject, SourceRange } from './findings.js';
export { reachesThreshold, sortFindings } from './findings.js';
export { ExitCode, StowageError, UsageError, EngineUnreachableError, BadInputError, RefusedError } from './errors.js';
export { connectEngine } from './engine/dockerode-engine.js';
export type { EngineClient } from './engine/engine-client.js';
