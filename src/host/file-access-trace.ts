/**
 * Which files processes open or read, system-wide, through fanotify as Debian's `fatrace` reports it. Used by
 * bench hello to see what a container reads until it is ready: overlayfs opens the real file in the layer's
 * `diff` directory, so fatrace, marking the data-root's filesystem (`-c`, run from inside it), reports the
 * layer path of every file a container opens or reads, whatever mount namespace the container runs in.
 * fatrace flushes each event line, so the stream can be read while it runs.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { HostError } from '../errors.js';
import { hostTools, type ToolRunner } from './tool-runner.js';

/** One fatrace event line: `comm(pid): TYPES path`. */
export interface FileAccess {
  comm: string;
  pid: number;
  /** fatrace's event letters: O open, R read, C close, W write, + create, D delete, < > move. */
  types: string;
  path: string;
}

/** Parses one line of fatrace's output (without `-t`); undefined for anything else. */
export function parseFatraceLine(line: string): FileAccess | undefined {
  const m = /^(.*?)\((\d+)\): ([RWOCD+<>]+)\s+(\/.*)$/.exec(line);
  if (!m) return undefined;
  return { comm: m[1]!, pid: Number(m[2]), types: m[3]!, path: m[4]! };
}

export interface AccessTrace {
  /** Stops fatrace and returns every kept event since it became ready, in order. */
  stop(): Promise<FileAccess[]>;
}

export interface AccessTraceOptions {
  /** A directory on the filesystem to watch: fatrace runs there with `-c` (the data-root's `overlay2`). */
  mountDir: string;
  /**
   * A file on that filesystem stowage may read: it is read until fatrace reports it, which proves the marks
   * are in place before anything is measured.
   */
  probeFile: string;
  /** Keep only events whose path this accepts (the rest of the host's activity is dropped as it arrives). */
  keep: (path: string) => boolean;
  runner?: ToolRunner;
  /** How long fatrace may take to report the probe. */
  readyTimeoutMs?: number;
}

/** Starts fatrace on `mountDir`'s filesystem and resolves once it reports events there. */
export async function startAccessTrace(options: AccessTraceOptions): Promise<AccessTrace> {
  const runner = options.runner ?? hostTools;
  const controller = new AbortController();
  const events: FileAccess[] = [];
  let partial = '';
  let probeSeen = false;
  const onLine = (line: string) => {
    const e = parseFatraceLine(line);
    if (!e) return;
    if (e.path === options.probeFile) probeSeen = true;
    else if (probeSeen && options.keep(e.path)) events.push(e);
  };
  const run = runner.run({
    tool: 'fatrace',
    args: ['-c', '-f', 'OR'],
    cwd: options.mountDir,
    timeoutMs: 3_600_000,
    signal: controller.signal,
    check: false,
    // the host's other activity on this filesystem arrives too; it is parsed and dropped as it comes
    maxStdoutBytes: 1 << 30,
    onStdout: (chunk) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
  }).then((r) => r, (err: unknown) => (controller.signal.aborted ? undefined : Promise.reject(err)));
  let exited: unknown;
  const watched = run.then((r) => { exited = r ?? 'stopped'; }, (err: unknown) => { exited = err; });
  const deadline = performance.now() + (options.readyTimeoutMs ?? 15_000);
  while (!probeSeen) {
    if (exited !== undefined) {
      if (exited instanceof Error) throw exited;
      const r = exited as { code: number; stderr: string };
      throw new HostError(`fatrace exited (${r.code}) before it reported anything: ${r.stderr.trim().split('\n')[0] ?? ''}`,
        'fatrace needs root (CAP_SYS_ADMIN) and a kernel with fanotify.');
    }
    if (performance.now() > deadline) {
      controller.abort();
      await watched;
      throw new HostError(`fatrace reported no event on ${options.mountDir} within ${options.readyTimeoutMs ?? 15_000} ms`);
    }
    try {
      readFileSync(options.probeFile);
    } catch {
      controller.abort();
      await watched;
      throw new HostError(`cannot read ${options.probeFile} to check that fatrace is watching`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    stop: async () => {
      // events already in the pipe are read before the kill lands; a short pause lets the last ones arrive
      await new Promise((r) => setTimeout(r, 100));
      controller.abort();
      await watched;
      if (exited instanceof Error) throw exited;
      if (partial) onLine(partial);
      return events;
    },
  };
}

/** The size of a regular file at `path` (not following a symlink); undefined for anything else or a missing path. */
export function regularFileSize(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}
