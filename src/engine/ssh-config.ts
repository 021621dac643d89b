/**
 * The part of ssh_config(5) that decides where an `ssh://` endpoint leads, as the ssh binary the docker CLI
 * runs would read it: `Host` blocks (patterns with `*`, `?` and `!`, first value wins), `HostName`, `Port`,
 * `User` and `IdentityFile`. Match blocks, Include and tokens other than `~` and `%%`/`%h`/`%u`/`%r` are not
 * followed. Pure: the caller reads the file.
 */

export interface SshHostConfig {
  hostName?: string;
  port?: number;
  user?: string;
  identityFiles: string[];
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether a `Host` line's patterns select `host`: one positive match and no negated one. */
function hostMatches(patterns: string[], host: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(host)) return false;
    } else if (globToRegExp(p).test(host)) matched = true;
  }
  return matched;
}

/** The settings ssh would use for `host` from one config file's text. */
export function sshHostConfig(text: string, host: string): SshHostConfig {
  const result: SshHostConfig = { identityFiles: [] };
  let active = true; // lines before the first Host apply to every host
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const args = m[2]!.match(/"[^"]*"|\S+/g)?.map((a) => a.replace(/^"|"$/g, '')) ?? [];
    if (key === 'host') {
      active = hostMatches(args, host);
      continue;
    }
    if (key === 'match') {
      active = false; // not followed: safer to ignore its block than to apply it everywhere
      continue;
    }
    if (!active || args.length === 0) continue;
    const value = args[0]!;
    if (key === 'hostname' && result.hostName === undefined) result.hostName = value;
    else if (key === 'port' && result.port === undefined && /^\d+$/.test(value)) result.port = Number(value);
    else if (key === 'user' && result.user === undefined) result.user = value;
    else if (key === 'identityfile') result.identityFiles.push(value);
  }
  return result;
}

/** Expands `~` and the tokens of an IdentityFile path. */
export function expandIdentityPath(path: string, home: string, host: string, user: string): string {
  return path.replace(/^~(?=\/|$)/, home).replace(/%(.)/g, (all, t: string) =>
    t === '%' ? '%' : t === 'd' ? home : t === 'h' ? host : t === 'u' || t === 'r' ? user : all);
}
