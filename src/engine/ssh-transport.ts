/**
 * Reaches a remote engine over ssh the way the docker CLI does: an ssh session runs `docker system dial-stdio`
 * on the far side, and HTTP flows through its stdin and stdout. Our own http.Agent (instead of dockerode's
 * `protocol: 'ssh'`) keeps the request URL plain HTTP, so Node prints no DEP0170 warning about
 * `ssh:HOST:22HOST`, and it turns a remote command that exits into a typed error with its exit status.
 */
import { Agent, type AgentOptions } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { DIAL_STDIO, SshRemoteExitError } from './engine-errors.js';
import { readFileOrUndefined, resolveSshTarget, type SshTarget } from './ssh-target.js';

export type { SshTarget } from './ssh-target.js';

/**
 * ssh2 settings as the ssh binary would pick them: ~/.ssh/config's HostName, Port, User and IdentityFile for
 * the host (what the URL spells out wins), the agent if one runs, else the first key file that exists.
 */
export function sshConnectConfig(target: SshTarget, env: Record<string, string | undefined> = process.env): ConnectConfig {
  const home = homedir();
  const resolved = resolveSshTarget(target, home);
  const config: ConnectConfig = {
    host: resolved.host,
    port: resolved.port,
    username: resolved.username,
    // connect, key exchange and authentication; a loaded sshd takes seconds for them
    readyTimeout: 20_000,
  };
  if (env.SSH_AUTH_SOCK) config.agent = env.SSH_AUTH_SOCK;
  const key = [...resolved.identityFiles, ...['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f))].map(readFileOrUndefined).find(Boolean);
  if (key) config.privateKey = key;
  return config;
}

/**
 * An http.Agent whose every connection is an ssh session running `docker system dial-stdio`. With keepAlive,
 * a session serves request after request, as the docker CLI's does: opening one costs seconds on a busy host.
 */
export function sshAgent(config: ConnectConfig, options: AgentOptions = {}): Agent {
  const agent = new Agent(options);
  const create = (_opts: unknown, callback: (err: Error | null, socket?: Duplex) => void): undefined => {
    const conn = new Client();
    let socket: Duplex | undefined;
    let settled = false;
    // before the handover the request fails with the error; after it, the socket does
    const fail = (err: Error) => {
      conn.end();
      if (socket) socket.destroy(err);
      else if (!settled) {
        settled = true;
        callback(err);
      }
    };
    conn.on('error', fail);
    conn.once('ready', () => {
      conn.exec(DIAL_STDIO, (err, channel) => {
        if (err) return fail(err);
        settled = true;
        // ssh2 keeps its TCP socket private; ref/unref on it let an idle kept-alive session not hold the process
        socket = channelSocket(channel, () => conn.end(), () => (conn as unknown as { _sock?: Socket })._sock);
        callback(null, socket);
      });
    });
    conn.connect(config);
    return undefined;
  };
  (agent as unknown as { createConnection: typeof create }).createConnection = create;
  return agent;
}

/** The channel as a socket for the HTTP client; a non-zero exit destroys it with SshRemoteExitError. */
function channelSocket(channel: ClientChannel, closeSession: () => void, tcp: () => Socket | undefined): Duplex {
  let stderr = '';
  channel.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString('utf8');
  });
  const socket: Duplex = new Duplex({
    read() {
      channel.resume();
    },
    write(chunk, encoding, done) {
      channel.write(chunk, encoding, done);
    },
    final(done) {
      channel.end();
      done();
    },
    destroy(err, done) {
      channel.close();
      closeSession();
      done(err);
    },
  });
  channel.on('data', (chunk: Buffer) => {
    if (!socket.push(chunk)) channel.pause();
  });
  channel.on('exit', (code: number | null, signal?: string) => {
    if (code !== 0) socket.destroy(new SshRemoteExitError(code ?? undefined, signal, stderr.trim().split('\n')[0] ?? ''));
  });
  channel.on('close', () => {
    socket.push(null);
    closeSession();
  });
  // the HTTP client calls these on real sockets; the channel has no such knobs
  const asSocket = socket as unknown as Partial<Socket>;
  asSocket.setNoDelay = () => asSocket as Socket;
  asSocket.setKeepAlive = () => asSocket as Socket;
  asSocket.setTimeout = () => asSocket as Socket;
  // a keep-alive agent unrefs a socket it parks and refs it again when it reuses it
  asSocket.ref = () => {
    tcp()?.ref();
    return asSocket as Socket;
  };
  asSocket.unref = () => {
    tcp()?.unref();
    return asSocket as Socket;
  };
  return socket;
}
