/**
 * A server binary the tests start on 127.0.0.1 (docker-registry, prometheus): spawned with its log in its
 * own directory, stopped on exit also when a test fails or times out, ready when `readyUrl` answers 200;
 * stopped with SIGTERM, then SIGKILL, and its directory removed once it has exited (it writes there until then).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { onExitUndo, processAlive, release, sleepSync } from './exit-cleanup.js';

export interface ServerSpec {
  /** The name errors use. */
  name: string;
  bin: string;
  args: string[];
  /** The server's own directory: its log goes there, and it is removed on stop. */
  dir: string;
  readyUrl: string;
  /** How long SIGTERM gets before SIGKILL. */
  termGraceMs: number;
}

export class LocalServer {
  private child: ChildProcess | undefined;

  constructor(private readonly spec: ServerSpec) {}

  async start(timeoutMs: number): Promise<void> {
    const { name, bin, args, dir, readyUrl } = this.spec;
    const logPath = join(dir, `${name}.log`);
    const log = openSync(logPath, 'a');
    this.child = spawn(bin, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    // a timed-out test must not keep its process alive through the server; the exit handler stops it
    this.child.unref();
    onExitUndo(this, () => { this.stop(); });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      const ok = await fetch(readyUrl).then((r) => r.status === 200, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    const text = readFileSync(logPath, 'utf8');
    this.stop();
    throw new Error(`${name} did not start (${readyUrl}): ${text.slice(-2000)}`);
  }

  /** Stops the server and removes its directory; throws when the process outlives SIGKILL. */
  stop(): void {
    const { name, dir, termGraceMs } = this.spec;
    const pid = this.child?.pid;
    if (pid !== undefined && processAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + termGraceMs;
      while (processAlive(pid) && Date.now() < deadline) sleepSync(50);
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while (processAlive(pid) && Date.now() < killDeadline) sleepSync(50);
      if (processAlive(pid)) throw new Error(`${name} ${pid} outlived SIGKILL; ${dir} stays`);
    }
    this.child = undefined;
    rmSync(dir, { recursive: true, force: true });
    release(this);
  }
}
