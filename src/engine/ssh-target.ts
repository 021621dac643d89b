/**
 * Where an `ssh://` endpoint leads once ~/.ssh/config is applied, as the ssh binary would: its HostName, Port,
 * User and IdentityFile for the host (what the URL spells out wins). No ssh2 here, so error messages can name
 * the real host and port without loading the ssh client.
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { expandIdentityPath, sshHostConfig } from './ssh-config.js';

export interface SshTarget {
  host: string;
  port: number;
  /** False when the URL named no port, so that ~/.ssh/config's Port applies. */
  portGiven?: boolean;
  username: string | undefined;
}

export interface ResolvedSshTarget {
  host: string;
  port: number;
  username: string;
  /** IdentityFile entries of the config, expanded, in order. */
  identityFiles: string[];
}

/** The host, port and user ssh would connect to for `target`, and the identity files its config names. */
export function resolveSshTarget(target: SshTarget, home: string = homedir()): ResolvedSshTarget {
  const configText = readFileOrUndefined(join(home, '.ssh', 'config'))?.toString('utf8');
  const fromFile = configText ? sshHostConfig(configText, target.host) : { identityFiles: [] };
  const username = target.username ?? fromFile.user ?? userInfo().username;
  const host = fromFile.hostName ? expandIdentityPath(fromFile.hostName, home, target.host, username) : target.host;
  return {
    host,
    port: target.portGiven === false && fromFile.port ? fromFile.port : target.port,
    username,
    identityFiles: fromFile.identityFiles.map((f) => expandIdentityPath(f, home, host, username)),
  };
}

/** `alias (10.0.0.5:2222 by ~/.ssh/config)` when the config leads elsewhere, else `host:port`. */
export function describeSshTarget(target: SshTarget, home: string = homedir()): string {
  const resolved = resolveSshTarget(target, home);
  return resolved.host === target.host && resolved.port === target.port
    ? `${target.host}:${target.port}`
    : `${target.host} (${resolved.host}:${resolved.port} by ~/.ssh/config)`;
}

export function readFileOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
