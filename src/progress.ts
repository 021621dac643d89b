/**
 * How a capability says what it is doing while it works: steps and amounts, never text on a stream. The CLI
 * turns updates into a live line on a terminal, plain lines in a log, or NDJSON (src/cli/progress-sinks.ts).
 */

export interface ProgressUpdate {
  /** What is being done, in a few words: "reading layers", "writing the squashed layer". */
  step: string;
  /** Units done and expected, when known; with both, a sink can show a share and an ETA. */
  done?: number;
  total?: number;
  unit?: 'bytes' | 'items';
  /**
   * Figures of the step a general sink may pass over but a command's own sink shows (bench start's p50 and
   * stalls, the expected length of a disk phase); the NDJSON sink passes them on as they are.
   */
  detail?: Record<string, string | number | boolean | undefined>;
}

export interface Progress {
  /** The work moved on: a new step, or more of the current one. */
  update(update: ProgressUpdate): void;
  /** A line worth keeping above the live one (a skipped check, a retry). */
  note(message: string): void;
  /** The work ended: a sink clears its live line. */
  end(): void;
}

/**
 * The callback deep code (image readers, flatten's phases) reports through: a step, and how far into it when
 * counted. Callers turn it into `Progress.update`.
 */
export type StepProgress = (step: string, amount?: { done: number; total?: number; unit: 'bytes' | 'items' }) => void;

export const silentProgress: Progress = {
  update: () => undefined,
  note: () => undefined,
  end: () => undefined,
};

/** Every update and note, kept for tests. */
export class RecordingProgress implements Progress {
  readonly events: ({ kind: 'update'; update: ProgressUpdate } | { kind: 'note'; message: string } | { kind: 'end' })[] = [];

  update(update: ProgressUpdate): void {
    this.events.push({ kind: 'update', update: { ...update, ...(update.detail ? { detail: { ...update.detail } } : {}) } });
  }

  note(message: string): void {
    this.events.push({ kind: 'note', message });
  }

  end(): void {
    this.events.push({ kind: 'end' });
  }

  get steps(): string[] {
    return this.events.flatMap((e) => (e.kind === 'update' ? [e.update.step] : []));
  }
}
