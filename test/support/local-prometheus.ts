/**
 * A real Prometheus server for tests: Debian's `prometheus` on 127.0.0.1 with a config and a TSDB directory
 * of its own (never the Debian service), scraping the given targets every second; queried through its HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExitUndo, processAlive, release, sleepSync } from './exit-cleanup.js';
import { freePort } from './free-port.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';


export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class LocalPrometheus {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-prometheus-'));
  port = 0;
  private child: ChildProcess | undefined;

  constructor(private readonly targets: string[], private readonly job = 'stowage') {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 30_000): Promise<this> {
    this.port = await freePort();
    const config = join(this.dir, 'prometheus.yml');
    writeFileSync(config, [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      `  - job_name: ${this.job}`,
      '    static_configs:',
      `      - targets: [${this.targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'));
    const log = openSync(join(this.dir, 'prometheus.log'), 'a');
    this.child = spawn(PROMETHEUS_BIN, [
      `--config.file=${config}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, `--web.listen-address=${this.address}`,
      '--log.level=warn',
    ], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child.unref();
    onExitUndo(this, () => { this.stop(); });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      const ok = await fetch(`http://${this.address}/-/ready`).then((r) => r.status === 200, () => false);
      if (ok) return this;
      await new Promise((r) => setTimeout(r, 200));
    }
    const text = readFileSync(join(this.dir, 'prometheus.log'), 'utf8');
    this.stop();
    throw new Error(`prometheus did not start on ${this.address}: ${text.slice(-2000)}`);
  }

  /** An instant query through the HTTP API. */
  async query(expr: string): Promise<PromSample[]> {
    const res = await fetch(`http://${this.address}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await res.json() as { status: string; data: { resultType: string; result: PromSample[] }; error?: string };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
    return body.data.result;
  }

  /** Polls `expr` until it returns at least `min` series. */
  async waitFor(expr: string, min = 1, timeoutMs = 30_000): Promise<PromSample[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.query(expr);
      if (r.length >= min) return r;
      if (Date.now() > deadline) throw new Error(`prometheus: no ${min} series for ${expr} after ${timeoutMs} ms`);
      await new Promise((done) => setTimeout(done, 500));
    }
  }

  /** Stops the server and removes its directory once it has exited. */
  stop(): void {
    const pid = this.child?.pid;
    if (pid !== undefined && processAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (processAlive(pid) && Date.now() < deadline) sleepSync(50);
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while (processAlive(pid) && Date.now() < killDeadline) sleepSync(50);
      if (processAlive(pid)) throw new Error(`prometheus ${pid} outlived SIGKILL; ${this.dir} stays`);
    }
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    release(this);
  }
}
