/**
 * Live progress on stderr for the bench commands: on a terminal one status line, redrawn in place with the
 * elapsed time ticking, and cleared at the end; elsewhere (CI logs, pipes) a plain line at most every few
 * seconds. Permanent lines (a finished step) print above the status line. --quiet silences both.
 */
import { formatDuration } from '../../render/format.js';
import type { OutputStream } from '../cli-context.js';

export interface LiveLineOptions {
  stderr: OutputStream;
  quiet: boolean;
  /** Draw in place (true) or print plain lines (false) whatever the stream; by default, as the stream is a terminal. */
  tty?: boolean;
  /** Milliseconds; injected so tests drive it. */
  now?: () => number;
  /** How often a terminal redraws the elapsed time; 0 turns the ticker off (tests). */
  tickMs?: number;
  /** Without a terminal, status lines print at most this often. */
  plainEveryMs?: number;
}

export class LiveLine {
  private status: ((elapsedMs: number) => string) | undefined;
  private since = 0;
  private drawn = false;
  private lastPlain = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  readonly tty: boolean;

  constructor(private readonly o: LiveLineOptions) {
    this.now = o.now ?? (() => performance.now());
    this.tty = (o.tty ?? Boolean(o.stderr.isTTY)) && !o.quiet;
  }

  /**
   * Shows what is running now; `render` gets the ms since `since` (default: now) so the line can show the
   * elapsed time as it ticks. On a terminal it redraws every second; elsewhere it prints when `force`
   * or when the last plain line is old enough.
   */
  set(render: (elapsedMs: number) => string, options: { since?: number; force?: boolean } = {}): void {
    if (this.o.quiet) return;
    this.status = render;
    this.since = options.since ?? this.now();
    if (this.tty) {
      this.draw();
      if (!this.timer && (this.o.tickMs ?? 1000) > 0) {
        this.timer = setInterval(() => this.draw(), this.o.tickMs ?? 1000);
        this.timer.unref();
      }
    } else if (options.force || this.now() - this.lastPlain >= (this.o.plainEveryMs ?? 5000)) {
      this.lastPlain = this.now();
      this.o.stderr.write(`${render(this.now() - this.since)}\n`);
    }
  }

  /** A line that stays (a finished step, a warning): printed above the status line, which is redrawn. */
  log(text: string): void {
    if (this.o.quiet) return;
    this.erase();
    this.o.stderr.write(`${text}\n`);
    if (this.tty && this.status) this.draw();
  }

  /** Removes the status line and stops the ticker; the terminal is left as it was before. */
  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
    this.status = undefined;
  }

  private draw(): void {
    if (!this.status) return;
    // a line wider than the terminal wraps, and erasing it would then leave its first rows on the screen
    const columns = (this.o.stderr as { columns?: number }).columns;
    this.o.stderr.write(`\r\x1b[K${fitColumns(this.status(this.now() - this.since), columns)}`);
    this.drawn = true;
  }

  private erase(): void {
    if (this.drawn) this.o.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** `3.2 s`, `4 min 12 s`: elapsed, and with a known fraction done, the time left. */
export function elapsedText(elapsedMs: number, fractionDone?: number): string {
  const eta = fractionDone !== undefined && fractionDone > 0.02 && fractionDone < 1
    ? `, about ${formatDuration((elapsedMs / fractionDone) * (1 - fractionDone))} left` : '';
  return `${formatDuration(elapsedMs)}${eta}`;
}

/**
 * A status line cut to fit a terminal `columns` wide (one column spare): its start (what runs) and its end
 * (the live figures, the elapsed time) are kept, the middle becomes `…`.
 */
export function fitColumns(text: string, columns: number | undefined): string {
  if (!columns || columns < 20 || [...text].length < columns) return text;
  const chars = [...text];
  const tail = Math.min(40, Math.floor((columns - 2) / 2));
  return `${chars.slice(0, columns - 2 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}
