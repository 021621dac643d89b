/**
 * Every error stowage raises on purpose, and the exit code each maps to (mapped once, in cli/main.ts).
 * The library names its options as a caller writes them (`force: true`, never a flag); the CLI rewrites
 * those names into its flags (cli/option-flags.ts).
 */

export const ExitCode = {
  ok: 0,
  /** Findings at or above `--fail-on`. */
  findings: 1,
  usage: 2,
  engineUnreachable: 3,
  /** The input (image, archive, Dockerfile, path) is missing or invalid. */
  badInput: 4,
  /** Refused: would overwrite, or touch what is in use or protected. */
  refused: 5,
  /** A host or engine operation failed (disk full, permission denied on a host path, an engine 5xx). */
  hostFailure: 6,
  /** An output did not match its input when checked (flatten's verification); nothing was written. */
  verificationFailed: 7,
  /** The build `bench build` measures failed (its step's output is shown). */
  buildFailed: 8,
  /** A bug in stowage. */
  internal: 70,
  /** Stopped by Ctrl-C (128 + SIGINT, as a shell reports it), after cleaning up. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The stable name of each exit code, as the `code` of a JSON error document. */
export const ERROR_CODES: Record<ExitCodeValue, string> = {
  0: 'ok',
  1: 'findings',
  2: 'usage',
  3: 'engine-unreachable',
  4: 'bad-input',
  5: 'refused',
  6: 'host-failure',
  7: 'verification-failed',
  8: 'build-failed',
  70: 'internal',
  130: 'interrupted',
};

export class StowageError extends Error {
  readonly exitCode: ExitCodeValue;
  /** What the user can do about it; printed under the message. */
  readonly hint: string | undefined;

  constructor(message: string, exitCode: ExitCodeValue, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export class UsageError extends StowageError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** Why an engine could not be reached; doctor turns each into a finding. */
export type EngineFailure =
  | 'socket-missing'
  | 'permission-denied'
  | 'not-running'
  | 'timeout'
  | 'api-version'
  | 'bad-endpoint'
  | 'name-not-resolved'
  | 'connection-refused'
  | 'connection-reset'
  | 'host-unreachable'
  | 'not-docker'
  | 'not-ssh'
  | 'ssh-auth-failed'
  | 'ssh-remote-failed'
  | 'unknown';

export class EngineUnreachableError extends StowageError {
  readonly failure: EngineFailure;
  readonly endpoint: string;

  constructor(failure: EngineFailure, endpoint: string, message: string, hint: string, cause?: unknown) {
    super(message, ExitCode.engineUnreachable, hint, { cause });
    this.failure = failure;
    this.endpoint = endpoint;
  }
}

/** 400/404: what was asked for is wrong or missing; 409: it conflicts with what exists; 5xx: the engine failed. */
function exitCodeForStatus(statusCode: number): ExitCodeValue {
  if (statusCode === 400 || statusCode === 404) return ExitCode.badInput;
  if (statusCode === 409) return ExitCode.refused;
  if (statusCode >= 500) return ExitCode.hostFailure;
  return ExitCode.internal;
}

/** The engine answered with an error status (404 no such image, 409 conflict…). */
export class EngineRequestError extends StowageError {
  readonly statusCode: number;

  constructor(statusCode: number, message: string, hint?: string) {
    super(message, exitCodeForStatus(statusCode), hint);
    this.statusCode = statusCode;
  }
}

export class BadInputError extends StowageError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.badInput, hint, options);
  }
}

/** The input ended before a structure it announced did (a tar member, a blob): told apart by type, not message. */
export class TruncatedInputError extends BadInputError {
  /** The input that ended, as the reader names it (an archive, or a layer inside one). */
  readonly input: string;

  constructor(input: string, message: string) {
    super(message);
    this.input = input;
  }
}

export class RefusedError extends StowageError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.refused, hint);
  }
}

/** The user stopped the command (Ctrl-C); what it had started is cleaned up before this is thrown. */
export class InterruptedError extends StowageError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
  }
}

export class HostError extends StowageError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.hostFailure, hint, options);
  }
}
