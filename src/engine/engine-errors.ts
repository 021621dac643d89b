/** Maps what dockerode throws to stowage's errors, by error code and HTTP status, never by message text. */
import { EngineRequestError, EngineUnreachableError, type EngineFailure } from '../errors.js';
import type { Endpoint } from './endpoint.js';

interface NodeLikeError {
  code?: string;
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

const CONNECT_FAILURES: Record<string, EngineFailure> = {
  ENOENT: 'socket-missing',
  EACCES: 'permission-denied',
  EPERM: 'permission-denied',
  ECONNREFUSED: 'not-running',
  ECONNRESET: 'not-running',
  EPIPE: 'not-running',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'timeout',
  ENOTFOUND: 'bad-endpoint',
  ENOTSOCK: 'bad-endpoint',
};

export function toEngineError(err: unknown, endpoint: Endpoint): Error {
  if (err instanceof EngineUnreachableError || err instanceof EngineRequestError) return err;
  const e = (err ?? {}) as NodeLikeError;
  if (typeof e.statusCode === 'number') {
    const detail = e.json?.message ?? String(e.message ?? '').replace(/^\(HTTP code \d+\)\s*/, '');
    return new EngineRequestError(e.statusCode, `engine answered ${e.statusCode}: ${detail.trim()}`);
  }
  const failure = (e.code && CONNECT_FAILURES[e.code]) || 'unknown';
  return unreachable(failure, endpoint, err);
}

export function unreachable(failure: EngineFailure, endpoint: Endpoint, cause?: unknown): EngineUnreachableError {
  const where = endpoint.url;
  const socket = endpoint.transport.kind === 'unix' ? endpoint.transport.socketPath : undefined;
  const detail = cause instanceof Error ? ` (${cause.message})` : '';
  switch (failure) {
    case 'socket-missing':
      return new EngineUnreachableError(failure, where, `no Docker socket at ${socket ?? where}`,
        'Start the daemon (`systemctl start docker` or `dockerd &`), or point DOCKER_HOST / --host at the right socket.', cause);
    case 'permission-denied':
      return new EngineUnreachableError(failure, where, `permission denied on ${socket ?? where}`,
        'Run as root, or add your user to the socket\'s group (`usermod -aG docker $USER`, then log in again).', cause);
    case 'not-running':
      return new EngineUnreachableError(failure, where, `nothing answers at ${where}: the daemon is not running${detail}`,
        'Start it (`systemctl start docker` or `dockerd &`) and check its log (`journalctl -u docker`).', cause);
    case 'timeout':
      return new EngineUnreachableError(failure, where, `the engine at ${where} did not answer in time`,
        'The daemon may be hung on I/O: check `stowage doctor --skip engine,space,clutter,images` for D-state tasks, then the daemon log.', cause);
    case 'api-version':
      return new EngineUnreachableError(failure, where, `the engine at ${where} speaks an API version stowage cannot use${detail}`,
        'stowage needs Engine API 1.41 or newer (Docker 20.10+).', cause);
    case 'bad-endpoint':
      return new EngineUnreachableError(failure, where, `${where} is not a Docker endpoint${detail}`,
        'Check DOCKER_HOST / --host.', cause);
    default:
      return new EngineUnreachableError(failure, where, `cannot reach the engine at ${where}${detail}`,
        'Check that the daemon runs and DOCKER_HOST / --host points at it.', cause);
  }
}

/** Rejects with a timeout error when `work` takes longer than `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, endpoint: Endpoint): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unreachable('timeout', endpoint)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
