/** What every command's CLI module gets: output streams, styling, global flags and progress on stderr. */
import { SEVERITIES, type Severity } from '../findings.js';
import { systemClock } from '../clock.js';
import { capabilityContext, type CapabilityContext } from '../context.js';
import type { Progress } from '../progress.js';
import type { ConnectOptions } from '../engine/dockerode-engine.js';
import { InterruptedError } from '../errors.js';
import { makeStyle, wantsColor, type Style } from '../render/style.js';
import { parseChoiceFlag } from './option-parsers.js';
import { PROGRESS_MODES, progressSink, type ProgressMode } from './progress-sinks.js';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** Aborted once stdout's reader has gone (EPIPE, `stowage watch --json | head -3`). */
  outputClosed?: AbortSignal;
}

export interface GlobalOptions {
  host?: string;
  context?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  progress?: string;
}

export class CliContext {
  readonly style: Style;

  constructor(readonly io: CliIo, readonly globals: GlobalOptions) {
    this.style = makeStyle(wantsColor(io.stdout, io.env, globals.color));
  }

  get json(): boolean {
    return Boolean(this.globals.json);
  }

  /** The result: stdout only. */
  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Progress and logs: stderr, silenced by --quiet. */
  progress(text: string): void {
    if (this.globals.quiet) return;
    this.io.stderr.write(`${text}\n`);
  }

  connectOptions(): ConnectOptions {
    return { host: this.globals.host, context: this.globals.context, env: this.io.env };
  }

  /**
   * The capability context for `command`: the engine from the global flags, the system clock, progress on
   * stderr as `--progress` says (none with `--quiet`). With `interruptible`, the first Ctrl-C aborts the
   * signal (the capability cleans up and rejects with InterruptedError, exit 130) and a second one exits at once.
   * `engineTimeoutMs` is the engine's per-request limit (the context's default otherwise); `sink` gives a
   * command its own progress display for a mode (undefined: the shared sink of that mode).
   */
  capabilityContext(command: string, options: {
    interruptible?: boolean;
    engineTimeoutMs?: number;
    sink?: (mode: ProgressMode) => Progress | undefined;
  } = {}): CapabilityContext {
    const mode: ProgressMode = this.globals.quiet ? 'none' : parseChoiceFlag(this.globals.progress ?? 'auto', '--progress', PROGRESS_MODES);
    const controller = new AbortController();
    if (options.interruptible) {
      process.once('SIGINT', () => {
        controller.abort(new InterruptedError(`${command} interrupted`));
        process.once('SIGINT', () => process.exit(130));
      });
    }
    return capabilityContext({
      connect: { ...this.connectOptions(), ...(options.engineTimeoutMs !== undefined ? { timeoutMs: options.engineTimeoutMs } : {}) },
      progress: options.sink?.(mode) ?? progressSink(mode, this.io.stderr, systemClock, command),
      signal: controller.signal,
    });
  }
}

export function parseSeverity(value: string, flag: string): Severity {
  return parseChoiceFlag(value, flag, SEVERITIES);
}

export function parseList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
