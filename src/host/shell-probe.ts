/** Runs a probe script with the host's `sh` in a directory and timestamps each line of its output. */
import { spawn } from 'node:child_process';

export interface TimedLine {
  atMs: number;
  text: string;
}

/** Splits a stream of chunks into lines stamped with the time the chunk holding the line's end arrived. */
export class LineStamper {
  readonly lines: TimedLine[] = [];
  private partial = '';

  constructor(private readonly now: () => number) {}

  push(chunk: string): void {
    const at = this.now();
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const p of parts) {
      const text = p.replace(/\r/g, '').trim();
      if (text) this.lines.push({ atMs: at, text });
    }
  }

  end(): TimedLine[] {
    const text = this.partial.trim();
    if (text) this.lines.push({ atMs: this.now(), text });
    this.partial = '';
    return this.lines;
  }
}

export function runShellProbe(script: string, cwd: string, timeoutMs: number, now: () => number = () => performance.now()): Promise<{ code: number; lines: TimedLine[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stamper = new LineStamper(now);
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => stamper.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, lines: stamper.end(), stderr }); });
  });
}
