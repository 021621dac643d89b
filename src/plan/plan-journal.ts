/**
 * The apply journal: one JSON line per event, appended and flushed before the next action starts, so that
 * an apply killed at any point (Ctrl-C, kill -9, a crash) resumes where it stopped.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { BadInputError } from '../errors.js';

export type JournalEvent =
  | { event: 'plan'; command: string; digest: string; at: string }
  | { event: 'start'; id: string; at: string }
  | { event: 'end'; id: string; status: 'done' | 'skipped' | 'failed'; bytes?: number; reason?: string; at: string };

export interface JournalState {
  /** Actions that finished in an earlier run. */
  done: Map<string, number>;
  /** Actions started but with no end: the run was killed while applying them. */
  interrupted: Set<string>;
}

export class PlanJournal {
  private constructor(private readonly path: string, private readonly fd: number) {}

  /** Opens (or creates) the journal of `digest`; another plan's journal is refused. */
  static open(path: string, command: string, digest: string, now: () => Date): { journal: PlanJournal; state: JournalState } {
    const state: JournalState = { done: new Map(), interrupted: new Set() };
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new BadInputError(`cannot read journal ${path}: ${(err as NodeJS.ErrnoException).code}`);
    }
    const events = (text ?? '').split('\n').filter(Boolean).flatMap((line): JournalEvent[] => {
      try {
        return [JSON.parse(line) as JournalEvent];
      } catch {
        return []; // the line being written when the process died
      }
    });
    const head = events[0];
    if (events.length && (head?.event !== 'plan' || head.digest !== digest)) {
      throw new BadInputError(`journal ${path} belongs to another plan`, 'Remove it to apply this plan from the start, or apply the plan it was written for.');
    }
    for (const e of events) {
      if (e.event === 'start') state.interrupted.add(e.id);
      if (e.event === 'end') {
        state.interrupted.delete(e.id);
        if (e.status === 'done') state.done.set(e.id, e.bytes ?? 0);
      }
    }
    const journal = new PlanJournal(path, openSync(path, 'a'));
    if (!events.length) journal.append({ event: 'plan', command, digest, at: now().toISOString() });
    return { journal, state };
  }

  append(event: JournalEvent): void {
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Closes and deletes it: the plan is fully applied. */
  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}
