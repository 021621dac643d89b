/**
 * Progress on stderr, three ways: a live line on a terminal (step, amount, elapsed, ETA; cleared at the
 * end), one line per step when stderr is a file or a pipe, and NDJSON events for programs.
 */
import type { Clock } from '../clock.js';
import type { Progress, ProgressUpdate } from '../progress.js';
import { formatBytes, formatDuration } from '../units.js';
import type { OutputStream } from './cli-context.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'ndjson' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'tty', 'plain', 'ndjson', 'none'];

/** The sink for a mode; `auto` is the live line on a terminal and plain lines otherwise. */
export function progressSink(mode: ProgressMode, stream: OutputStream, clock: Clock, label: string): Progress {
  if (mode === 'none') return { update: () => undefined, note: () => undefined, end: () => undefined };
  if (mode === 'ndjson') return new NdjsonProgress(stream, clock, label);
  if (mode === 'tty' || (mode === 'auto' && stream.isTTY)) return new TtyProgress(stream, clock, label);
  return new PlainProgress(stream, label, clock);
}

/** "12.3 MB of 40.0 MB (31%)" or "120 items". */
function amount(u: ProgressUpdate): string {
  if (u.done === undefined) return '';
  const f = (n: number) => (u.unit === 'bytes' ? formatBytes(n) : String(n));
  if (u.total === undefined || u.total <= 0) return ` ${f(u.done)}${u.unit === 'items' ? ' items' : ''}`;
  return ` ${f(u.done)} of ${f(u.total)} (${Math.floor((100 * u.done) / u.total)}%)`;
}

/** One line rewritten in place, at most every 100 ms unless the step changes. */
export class TtyProgress implements Progress {
  private readonly started: number;
  private stepStarted: number;
  private step = '';
  private drawnAt = -Infinity;
  private shown = false;

  constructor(private readonly stream: OutputStream, private readonly clock: Clock, private readonly label: string) {
    this.started = clock.monotonic();
    this.stepStarted = this.started;
  }

  update(u: ProgressUpdate): void {
    const t = this.clock.monotonic();
    const newStep = u.step !== this.step;
    if (newStep) {
      this.step = u.step;
      this.stepStarted = t;
    } else if (t - this.drawnAt < 100) {
      return;
    }
    this.drawnAt = t;
    let eta = '';
    if (u.done !== undefined && u.total !== undefined && u.done > 0 && u.done < u.total) {
      eta = `, about ${formatDuration(((t - this.stepStarted) * (u.total - u.done)) / u.done)} left`;
    }
    this.stream.write(`\r\x1b[K${this.label}: ${u.step}${amount(u)} [${formatDuration(t - this.started)}${eta}]`);
    this.shown = true;
  }

  note(message: string): void {
    this.clear();
    this.stream.write(`${this.label}: ${message}\n`);
  }

  end(): void {
    this.clear();
  }

  private clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
    this.drawnAt = -Infinity;
  }
}

/**
 * A line per new step; amounts only on a step that runs long: a log must not fill with them, yet a write of
 * minutes must not be silent (issue 20, flatten's write phase). Then a line every PLAIN_EVERY_MS at most, with
 * the amount and the time the command has run.
 */
export const PLAIN_EVERY_MS = 10_000;

export class PlainProgress implements Progress {
  private step = '';
  private lastLine = 0;
  private readonly started: number;

  constructor(private readonly stream: OutputStream, private readonly label: string, private readonly clock?: Clock) {
    this.started = clock?.monotonic() ?? 0;
  }

  update(u: ProgressUpdate): void {
    const t = this.clock?.monotonic() ?? 0;
    if (u.step === this.step) {
      if (!this.clock || u.done === undefined || t - this.lastLine < PLAIN_EVERY_MS) return;
      this.lastLine = t;
      this.stream.write(`${this.label}: ${u.step}${amount(u)} [${formatDuration(t - this.started)}]\n`);
      return;
    }
    this.step = u.step;
    this.lastLine = t;
    this.stream.write(`${this.label}: ${u.step}\n`);
  }

  note(message: string): void {
    this.stream.write(`${this.label}: ${message}\n`);
  }

  end(): void {}
}

/** One JSON object per line: `{"type":"progress","command":…,"step":…,"done":…,"total":…,"elapsedMs":…}`. */
export class NdjsonProgress implements Progress {
  private readonly started: number;

  constructor(private readonly stream: OutputStream, private readonly clock: Clock, private readonly command: string) {
    this.started = clock.monotonic();
  }

  update(u: ProgressUpdate): void {
    this.emit({ type: 'progress', ...u });
  }

  note(message: string): void {
    this.emit({ type: 'note', message });
  }

  end(): void {
    this.emit({ type: 'end' });
  }

  private emit(event: Record<string, unknown>): void {
    const elapsedMs = Math.round(this.clock.monotonic() - this.started);
    this.stream.write(`${JSON.stringify({ ...event, command: this.command, elapsedMs })}\n`);
  }
}
