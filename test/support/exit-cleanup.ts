/**
 * Last-resort cleanup for host objects a test made (private engines, loop disks, registries): when a test
 * fails or times out its `finally` may never run, and a killed test process runs none. Every such object
 * registers a synchronous undo here; on exit, SIGINT or SIGTERM the ones still registered run, newest first
 * (a daemon on a loop disk goes before the disk).
 */
import { readFileSync } from 'node:fs';

type Undo = () => void;

const pending = new Map<object, Undo>();
let installed = false;

function runAll(): void {
  for (const [owner, undo] of [...pending].reverse()) {
    pending.delete(owner);
    try { undo(); } catch (err) { process.stderr.write(`stowage test cleanup: ${(err as Error).message}\n`); }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    // a listener replaces node's default exit on the signal, so exit ourselves once cleaned up
    process.once(signal, () => { runAll(); process.exit(code); });
  }
}

/** Registers `undo` for `owner` until `release(owner)`; a second call for the same owner replaces it. */
export function onExitUndo(owner: object, undo: Undo): void {
  install();
  pending.set(owner, undo);
}

export function release(owner: object): void {
  pending.delete(owner);
}

/** Blocks the thread for `ms` (exit handlers cannot await). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its parent's event loop) counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // the state follows the parenthesised command name in /proc/PID/stat
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
