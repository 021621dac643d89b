/**
 * Timing commands against a private engine: its API called straight (to fill it fast), and each command's
 * wall time, its own CPU (this process's waited-for children) and the engine's CPU while it ran, so a loaded
 * host's figures can be read as CPU as well as wall time.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One request to the engine at `socket`; rejects unless 2xx (the body is read to the end: imports stream progress). */
export function engineApi(socket: string, method: string, path: string, body: Buffer, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path: `/v1.41${path}`, agent: false, headers: { 'Content-Type': type, 'Content-Length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => ((res.statusCode ?? 0) < 300 && !/"error"/.test(text) ? resolve() : reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime+stime of `pid` (or cutime+cstime: the waited-for children of this process), in ms. */
export function cpuMs(pid: number | 'self', children = false): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (children ? Number(f[13]) + Number(f[14]) : Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

export interface Timed { wallMs: number; cpuMs: number; engineCpuMs: number; stdout: string }

/** Runs `cmd` to the end; throws with its stderr unless it exits 0. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, enginePids: number[]): Timed {
  const engine0 = enginePids.reduce((n, p) => n + cpuMs(p), 0);
  const cpu0 = cpuMs('self', true);
  const t = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 ** 2, encoding: 'utf8' });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return { wallMs, cpuMs: cpuMs('self', true) - cpu0, engineCpuMs: enginePids.reduce((n, p) => n + cpuMs(p), 0) - engine0, stdout: r.stdout };
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
