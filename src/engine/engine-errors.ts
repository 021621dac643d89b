/** Maps what dockerode throws to stowage's errors, by error code and HTTP status, never by message text. */
import { EngineRequestError, EngineUnreachableError, type EngineFailure } from '../errors.js';
import { isLocalEndpoint, type Endpoint } from './endpoint.js';
import { describeSshTarget } from './ssh-target.js';

/** What an ssh endpoint runs on the remote host, as the docker CLI does. */
export const DIAL_STDIO = 'docker system dial-stdio';

/** The remote command ended before the engine answered: exit 127 is a missing docker CLI, others a dial failure. */
export class SshRemoteExitError extends Error {
  readonly code = 'ESSHREMOTEEXIT';
  constructor(readonly exitCode: number | undefined, readonly signal: string | undefined, readonly stderr: string) {
    super(`\`${DIAL_STDIO}\` on the remote host exited with ${exitCode ?? `signal ${signal ?? 'unknown'}`}`
      + (stderr ? `: ${stderr}` : ''));
  }
}

interface NodeLikeError {
  code?: string;
  /** Where ssh2 failed: `client-dns`, `client-socket`, `client-authentication`, `client-timeout`, `handshake`. */
  level?: string;
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

const CONNECT_FAILURES: Record<string, EngineFailure> = {
  ENOENT: 'socket-missing',
  EACCES: 'permission-denied',
  EPERM: 'permission-denied',
  ECONNREFUSED: 'connection-refused',
  ECONNRESET: 'not-running',
  EPIPE: 'not-running',
  // the kernel gave up on the TCP handshake, or has no route: the engine was never asked anything
  ETIMEDOUT: 'host-unreachable',
  EHOSTUNREACH: 'host-unreachable',
  ENETUNREACH: 'host-unreachable',
  // a TLS client on a port that answers in plain text
  EPROTO: 'not-docker',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not-docker',
  ENOTFOUND: 'name-not-resolved',
  EAI_AGAIN: 'name-not-resolved',
  EAI_FAIL: 'name-not-resolved',
  ENOTSOCK: 'bad-endpoint',
};

export function toEngineError(err: unknown, endpoint: Endpoint): Error {
  if (err instanceof EngineUnreachableError || err instanceof EngineRequestError) return err;
  const e = (err ?? {}) as NodeLikeError;
  if (typeof e.statusCode === 'number') {
    const detail = e.json?.message ?? String(e.message ?? '').replace(/^\(HTTP code \d+\)\s*/, '');
    return new EngineRequestError(e.statusCode, `engine answered ${e.statusCode}: ${detail.trim()}`);
  }
  return unreachable(connectFailure(e, endpoint), endpoint, err);
}

/** By error class, ssh2's level and the errno code; a refused unix socket means no daemon listens on it. */
function connectFailure(e: NodeLikeError, endpoint: Endpoint): EngineFailure {
  if (e instanceof SshRemoteExitError) return 'ssh-remote-failed';
  if (e.level === 'client-authentication') return 'ssh-auth-failed';
  if (e.level === 'client-timeout') return 'timeout';
  if (e.level === 'client-dns') return 'name-not-resolved';
  // the server closed or spoke something else before the ssh identification exchange
  if (e.level === 'protocol') return 'not-ssh';
  const failure = (e.code && CONNECT_FAILURES[e.code]) || 'unknown';
  if (failure === 'connection-refused' && endpoint.transport.kind === 'unix') return 'not-running';
  // over TCP a reset comes from whatever accepted the connection (a firewall, a proxy, another server), not
  // from a stopped daemon: nothing accepts on a port whose daemon is down
  if (failure === 'not-running' && endpoint.transport.kind !== 'unix') return 'connection-reset';
  return failure;
}

export function unreachable(failure: EngineFailure, endpoint: Endpoint, cause?: unknown): EngineUnreachableError {
  const where = endpoint.url;
  const t = endpoint.transport;
  // an ssh alias names where ~/.ssh/config led, since that is where the connection failed
  const hostPort = t.kind === 'unix' ? where : t.kind === 'ssh' ? describeSshTarget(t) : `${t.host}:${t.port}`;
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
      return isLocalEndpoint(endpoint)
        ? new EngineUnreachableError(failure, where, `the engine at ${where} did not answer in time`,
          'The daemon may be hung on I/O: check `stowage doctor --skip engine,space,clutter,images` for D-state tasks, then the daemon log.', cause)
        : new EngineUnreachableError(failure, where, `${hostPort} accepted the connection, but the engine at ${where} did not answer in time${detail}`,
          `The daemon there may be hung on I/O: run \`stowage doctor\` on ${t.kind === 'unix' ? 'its host' : t.host} itself, and read its daemon log (\`journalctl -u docker\`).`, cause);
    case 'host-unreachable':
      return new EngineUnreachableError(failure, where, `no connection to ${hostPort}: the host did not answer, or there is no route to it${detail}`,
        `Check that ${t.kind === 'unix' ? 'the host' : t.host} is up and that the address is right, and that no firewall drops port ${t.kind === 'unix' ? '' : t.port} on the way (\`nc -vz ${t.kind === 'unix' ? 'HOST PORT' : `${t.host} ${t.port}`}\` should connect).`, cause);
    case 'not-docker':
      return notDocker(endpoint, cause, detail);
    case 'not-ssh':
      return new EngineUnreachableError(failure, where, `${hostPort} accepts connections, but does not speak ssh${detail}`,
        `Check the port in ${where}: it must be the ssh server's (22 unless sshd is configured otherwise), not the Docker API's; for the Docker API itself use tcp://${t.kind === 'unix' ? 'HOST:2376' : `${t.host}:${t.port}`}.`, cause);
    case 'api-version':
      return new EngineUnreachableError(failure, where, `the engine at ${where} speaks an API version stowage cannot use${detail}`,
        'stowage needs Engine API 1.41 or newer (Docker 20.10+).', cause);
    case 'name-not-resolved':
      return new EngineUnreachableError(failure, where, `cannot resolve the host name "${t.kind === 'unix' ? where : t.host}" of ${where}${detail}`,
        t.kind === 'ssh'
          ? 'Check the name (and DNS: `getent hosts NAME`), or give it a Host entry with its HostName in ~/.ssh/config, which stowage follows as ssh does (HostName, Port, User, IdentityFile; not Match or Include).'
          : 'Check the name in DOCKER_HOST / --host, and DNS (`getent hosts NAME`).', cause);
    case 'connection-refused':
      return t.kind === 'ssh'
        ? new EngineUnreachableError(failure, where, `the ssh connection to ${hostPort} was refused: no ssh server listens there${detail}`,
          `Check the host and port in ${where}, and that sshd runs on it (\`systemctl status ssh\` there); \`ssh -p ${t.port} ${t.username ? `${t.username}@` : ''}${t.host} docker version\` should work before stowage can.`, cause)
        : new EngineUnreachableError(failure, where, `nothing listens on ${hostPort} (${where})${detail}`,
          `Check the address and port; the daemon there listens on TCP only when started with \`-H tcp://…\` (or "hosts" in daemon.json). Port 2375 is plain, 2376 TLS.`, cause);
    case 'connection-reset':
      return t.kind === 'ssh'
        ? new EngineUnreachableError(failure, where, `${hostPort} accepted the ssh connection, then reset it${detail}`,
          `sshd or a firewall on the way closed it (sshd's MaxStartups, fail2ban, TCP wrappers): \`ssh -v -p ${t.port} ${t.host}\` shows which.`, cause)
        : new EngineUnreachableError(failure, where, `${hostPort} accepted the connection, then reset it before any engine answered${detail}`,
        `Something on that port drops the connection: a firewall or proxy that resets, a server that is not Docker, or a daemon that wants TLS (port 2376: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH). \`curl -v http://${hostPort}/_ping\` should answer OK.`, cause);
    case 'ssh-auth-failed':
      return new EngineUnreachableError(failure, where, `ssh authentication to ${t.kind === 'ssh' ? `${t.username ?? 'the current user'}@${hostPort}` : where} failed${detail}`,
        'stowage offers the keys in your ssh agent (SSH_AUTH_SOCK) and ~/.ssh/id_ed25519, id_ecdsa or id_rsa: load the right key (`ssh-add KEY`), check the user name in the URL, and that the key is in the remote authorized_keys.', cause);
    case 'ssh-remote-failed': {
      const exit = cause instanceof SshRemoteExitError ? cause.exitCode : undefined;
      return exit === 127
        ? new EngineUnreachableError(failure, where, `ssh to ${hostPort} works, but the remote host has no \`docker\` command to run \`docker system dial-stdio\`${detail}`,
          'Install the docker CLI on the remote host (it relays the connection to its daemon), or put it on the PATH of non-interactive ssh sessions.', cause)
        : new EngineUnreachableError(failure, where, `ssh to ${hostPort} works, but the remote docker could not reach its daemon's socket${detail}`,
          'On the remote host, check that dockerd runs (`systemctl status docker`) and that the ssh user may use its socket (`docker version` there, or `usermod -aG docker USER`).', cause);
    }
    case 'bad-endpoint':
      return new EngineUnreachableError(failure, where, `${where} is not a Docker endpoint${detail}`,
        'Check DOCKER_HOST / --host.', cause);
    default:
      return new EngineUnreachableError(failure, where, `cannot reach the engine at ${where}${detail}`,
        'Check that the daemon runs and DOCKER_HOST / --host points at it.', cause);
  }
}

/** What answered was not a Docker engine: an HTTP error status to GET /version, or a TLS / plain-text mismatch. */
function notDocker(endpoint: Endpoint, cause: unknown, detail: string): EngineUnreachableError {
  const where = endpoint.url;
  const t = endpoint.transport;
  const hostPort = t.kind === 'unix' ? where : `${t.host}:${t.port}`;
  const status = (cause as NodeLikeError | undefined)?.statusCode;
  const code = (cause as NodeLikeError | undefined)?.code;
  if (t.kind === 'tcp' && (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')) {
    return new EngineUnreachableError('not-docker', where, `${hostPort} answers in plain text, not TLS`,
      'Drop TLS for this endpoint (unset DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, use tcp:// not https://), or point at the daemon\'s TLS port (2376 by convention).', cause);
  }
  if (status === 400 && t.kind === 'tcp' && !t.tls) {
    // what Go's HTTP server answers to plain HTTP on a TLS port, as dockerd does with --tlsverify
    return new EngineUnreachableError('not-docker', where, `${hostPort} refused a plain HTTP request (HTTP 400 to GET /version): it is likely a TLS port`,
      'Connect with TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory with ca.pem, cert.pem and key.pem, as for the docker CLI.', cause);
  }
  const answered = status !== undefined ? `HTTP ${status} to GET /version` : `an answer that is not the Engine API's${detail}`;
  return new EngineUnreachableError('not-docker', where, `${hostPort} answers, but it is not a Docker engine (${answered})`,
    `Check the address and port in ${where}: another server listens there. dockerd's API is on 2375 (plain) or 2376 (TLS) only when started with \`-H tcp://…\`; \`docker -H ${where} version\` should work before stowage can.`, cause);
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
