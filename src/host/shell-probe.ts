/** Runs a probe script with the host's `sh` in a directory and timestamps each line of its output. */
import { StringDecoder } from 'node:string_decoder';
import { hostTools } from './tool-runner.js';

export interface TimedLine {
  atMs: number;
  text: string;
}

/** Splits a stream of chunks into lines stamped with the time the chunk holding the line's end arrived. */
export class LineStamper {
  readonly lines: TimedLine[] = [];
  private partial = '';

  /** `onLine` sees each line as it is stamped (a caller's live progress). */
  constructor(private readonly now: () => number, private readonly onLine?: (line: TimedLine) => void) {}

  push(chunk: string): void {
    const at = this.now();
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const p of parts) {
      const text = p.replace(/\r/g, '').trim();
      if (text) this.add({ atMs: at, text });
    }
  }

  private add(line: TimedLine): void {
    this.lines.push(line);
    this.onLine?.(line);
  }

  end(): TimedLine[] {
    const text = this.partial.trim();
    if (text) this.add({ atMs: this.now(), text });
    this.partial = '';
    return this.lines;
  }
}

/**
 * Runs the script; a timeout kills it and gives exit -1 with the lines it printed so far. An aborted `signal`
 * kills it too and rejects with the signal's reason (Ctrl-C must not wait for a throttled disk's probe).
 */
export async function runShellProbe(script: string, cwd: string, timeoutMs: number, now: () => number = () => performance.now(),
  onLine?: (line: TimedLine) => void, signal?: AbortSignal): Promise<{ code: number; lines: TimedLine[]; stderr: string }> {
  const stamper = new LineStamper(now, onLine);
  const decoder = new StringDecoder('utf8');
  const run = await hostTools.run({
    tool: 'sh', args: ['-c', script], cwd, timeoutMs, check: false, ...(signal ? { signal } : {}),
    onStdout: (chunk) => stamper.push(decoder.write(chunk)),
  });
  stamper.push(decoder.end());
  return { code: run.code, lines: stamper.end(), stderr: run.stderr };
}
