/** What every command's CLI module gets: output streams, styling, global flags and progress on stderr. */
import { SEVERITIES, type Severity } from '../findings.js';
import type { ConnectOptions } from '../engine/dockerode-engine.js';
import { makeStyle, wantsColor, type Style } from '../report/style.js';
import { parseChoiceFlag } from './option-parsers.js';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
}

export interface GlobalOptions {
  host?: string;
  context?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
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
}

export function parseSeverity(value: string, flag: string): Severity {
  return parseChoiceFlag(value, flag, SEVERITIES);
}

export function parseList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
