/**
 * A real Prometheus server for tests: Debian's `prometheus` on 127.0.0.1 with a config and a TSDB directory
 * of its own (never the Debian service), scraping the given targets every second; queried through its HTTP API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { LocalServer } from './local-server.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';


export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class LocalPrometheus {
  readonly dir = mkdtempSync(join(tmpdir(), 'stowage-prometheus-'));
  port = 0;
  private server: LocalServer | undefined;

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
    this.server = new LocalServer({
      name: 'prometheus', bin: PROMETHEUS_BIN, dir: this.dir, readyUrl: `http://${this.address}/-/ready`, termGraceMs: 10_000,
      args: [`--config.file=${config}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, `--web.listen-address=${this.address}`, '--log.level=warn'],
    });
    await this.server.start(timeoutMs);
    return this;
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
    // the server removes the directory once it has exited; one never started leaves only its config
    if (this.server) this.server.stop();
    else rmSync(this.dir, { recursive: true, force: true });
    this.server = undefined;
  }
}
