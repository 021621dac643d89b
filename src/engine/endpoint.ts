/**
 * Which engine to talk to, by the docker CLI's rules: `--host`, then `DOCKER_HOST`, then a context
 * (`--context`, `DOCKER_CONTEXT`, the config file's currentContext), then the default socket.
 * Pure apart from the injected file reader, so every rule is unit-tested.
 */
import { createHash } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export type Transport =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls: TlsFiles | undefined }
  | { kind: 'ssh'; host: string; port: number; portGiven: boolean; username: string | undefined };

export interface TlsFiles {
  verify: boolean;
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
}

export interface Endpoint {
  /** As the user would write it: `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376`. */
  url: string;
  transport: Transport;
  /** Which rule chose it, e.g. `DOCKER_HOST` or `context "remote"`. */
  source: string;
  /** The rules tried before, each with why it did not apply. */
  skipped: { rule: string; reason: string }[];
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[?::1\]?|\[?::ffff:127(\.\d{1,3}){3}\]?)$/i;

/** This machine's name and the addresses of its interfaces that are up (Node lists only those). */
export interface ThisHost {
  hostname: string;
  addresses: string[];
}

export function thisHost(): ThisHost {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  return { hostname: hostname(), addresses };
}

/**
 * Whether the engine runs on this machine, so that this host's disks and /proc describe it: a unix socket,
 * or TCP or ssh to a loopback address (`tcp://127.0.0.1:2375`, `tcp://localhost:2376`, issue 20), to this
 * host's own name or to one of its interface addresses. A forwarded port (an ssh tunnel or a VM's published
 * 2375 on 127.0.0.1) looks local here; doctor tells it apart by the engine's own host name once connected.
 */
export function isLocalEndpoint(endpoint: Endpoint, self: ThisHost = thisHost()): boolean {
  const t = endpoint.transport;
  if (t.kind === 'unix' || LOOPBACK.test(t.host)) return true;
  const host = t.host.replace(/^\[|\]$/g, '').toLowerCase();
  const name = self.hostname.toLowerCase();
  return host === name || host.split('.')[0] === name || self.addresses.some((a) => a.toLowerCase() === host);
}

export interface EndpointInputs {
  hostFlag?: string | undefined;
  contextFlag?: string | undefined;
  env: Record<string, string | undefined>;
  homeDir: string;
  /** Returns a file's text, or undefined when it does not exist. */
  readFile: (path: string) => string | undefined;
}

export function resolveEndpoint(inputs: EndpointInputs): Endpoint {
  const { hostFlag, contextFlag, env } = inputs;
  const skipped: Endpoint['skipped'] = [];
  if (hostFlag && contextFlag) {
    throw new UsageError('`host` and `context` cannot be used together', 'Pass one of them.');
  }
  if (hostFlag) return build(hostFlag, '--host', skipped, inputs);
  skipped.push({ rule: '--host', reason: 'not given' });

  if (!contextFlag && env.DOCKER_HOST) return build(env.DOCKER_HOST, 'DOCKER_HOST', skipped, inputs);
  skipped.push({ rule: 'DOCKER_HOST', reason: contextFlag ? '--context given' : 'not set' });

  const configDir = env.DOCKER_CONFIG || join(inputs.homeDir, '.docker');
  const contextName = contextFlag || env.DOCKER_CONTEXT || currentContext(configDir, inputs.readFile);
  if (contextName && contextName !== 'default') {
    const host = contextHost(configDir, contextName, inputs.readFile);
    return build(host, `context "${contextName}"`, skipped, inputs);
  }
  skipped.push({ rule: 'context', reason: contextName ? 'the default context' : 'none selected' });
  return build(`unix://${DEFAULT_SOCKET}`, 'default socket', skipped, inputs);
}

function currentContext(configDir: string, readFile: EndpointInputs['readFile']): string | undefined {
  const text = readFile(join(configDir, 'config.json'));
  if (!text) return undefined;
  try {
    const value = (JSON.parse(text) as { currentContext?: unknown }).currentContext;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined; // the docker CLI also carries on with a broken config file
  }
}

function contextHost(configDir: string, name: string, readFile: EndpointInputs['readFile']): string {
  const digest = createHash('sha256').update(name).digest('hex');
  const metaPath = join(configDir, 'contexts', 'meta', digest, 'meta.json');
  const text = readFile(metaPath);
  if (!text) {
    throw new UsageError(`docker context "${name}" not found (no ${metaPath})`, 'Run `docker context ls` to see the contexts.');
  }
  const meta = JSON.parse(text) as { Endpoints?: { docker?: { Host?: string } } };
  const host = meta.Endpoints?.docker?.Host;
  if (!host) throw new UsageError(`docker context "${name}" has no docker endpoint`);
  return host;
}

function build(url: string, source: string, skipped: Endpoint['skipped'], inputs: EndpointInputs): Endpoint {
  return { url, transport: parseHostUrl(url, inputs), source, skipped };
}

/** Parses a docker host URL as the CLI accepts it (`unix://`, `tcp://`, `ssh://`, a bare path). */
export function parseHostUrl(url: string, inputs: Pick<EndpointInputs, 'env' | 'homeDir'>): Transport {
  if (url.startsWith('/')) return { kind: 'unix', socketPath: url };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`cannot parse docker host "${url}"`, 'Use unix:///path, tcp://HOST:PORT or ssh://USER@HOST.');
  }
  switch (parsed.protocol) {
    case 'unix:':
      return { kind: 'unix', socketPath: decodeURIComponent(parsed.pathname) || DEFAULT_SOCKET };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = tlsFiles(inputs, parsed.protocol === 'https:');
      const port = parsed.port ? Number(parsed.port) : tls ? 2376 : 2375;
      return { kind: 'tcp', host: parsed.hostname, port, tls };
    }
    case 'ssh:':
      return {
        kind: 'ssh',
        host: parsed.hostname,
        port: parsed.port ? Number(parsed.port) : 22,
        portGiven: parsed.port !== '',
        username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      };
    default:
      throw new UsageError(`unsupported docker host scheme "${parsed.protocol}" in "${url}"`,
        'Use unix://, tcp:// or ssh://.');
  }
}

function tlsFiles(inputs: Pick<EndpointInputs, 'env' | 'homeDir'>, forced: boolean): TlsFiles | undefined {
  const verify = Boolean(inputs.env.DOCKER_TLS_VERIFY);
  const certPath = inputs.env.DOCKER_CERT_PATH;
  if (!verify && !certPath && !forced) return undefined;
  const dir = certPath || join(inputs.homeDir, '.docker');
  return { verify, ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}
