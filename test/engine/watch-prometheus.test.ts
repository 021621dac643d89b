/**
 * `stowage watch --listen` scraped by a real Prometheus (Debian's `prometheus`, started here on 127.0.0.1 with
 * its own config and storage), the series read back through Prometheus' HTTP API; `promtool check metrics`
 * on what watch serves and writes; Ctrl-C exits 130.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STOWAGE_BIN, runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { LocalPrometheus, PROMTOOL_BIN } from '../support/local-prometheus.js';
import { freePort } from '../support/free-port.js';

/** Starts `stowage watch ARGS` and resolves once stderr or stdout has shown `ready`. */
function startWatch(args: string[], ready: RegExp): Promise<{ child: ChildProcess; out: () => string; err: () => string; exited: Promise<number> }> {
  const child = spawn(process.execPath, [STOWAGE_BIN, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`watch did not get ready: ${err}`)); }, 30_000);
    const check = () => {
      if (ready.test(out) || ready.test(err)) {
        clearTimeout(timer);
        resolve({ child, out: () => out, err: () => err, exited });
      }
    };
    child.stdout!.on('data', (d) => { out += d; check(); });
    child.stderr!.on('data', (d) => { err += d; check(); });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`watch exited ${code} before it was ready: ${err}`)); });
  });
}

const DASHBOARD = new URL('../../../deploy/grafana/stowage-watch-dashboard.json', import.meta.url);
const promtoolMetrics = (text: string) => spawnSync(PROMTOOL_BIN, ['check', 'metrics'], { input: text, encoding: 'utf8' });

describe('stowage watch and Prometheus', () => {
  it('is scraped by a real Prometheus, which serves back the credit, device, space and finding series', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-'));
    const port = await freePort();
    const watch = await startWatch(['--listen', `127.0.0.1:${port}`, '--data-root', dir, '--interval', '500ms',
      '--burst-model', 'gp2', '--size', '100G'], /serving metrics at/);
    const prom = new LocalPrometheus([`127.0.0.1:${port}`]);
    try {
      await prom.start();
      const up = await prom.waitFor('up{job="stowage"} == 1');
      assert.equal(up[0]!.metric.instance, `127.0.0.1:${port}`);
      const credits = await prom.waitFor('stowage_burst_credits_remaining');
      const left = Number(credits[0]!.value[1]);
      assert.ok(left > 0 && left <= 5_400_000, `credits left ${left}`);
      assert.equal(credits[0]!.metric.model, 'gp2');
      // gp2 by AWS's formula: 3 IOPS per GiB
      assert.equal(Number((await prom.waitFor('stowage_burst_baseline_iops'))[0]!.value[1]), 300);
      assert.equal((await prom.waitFor('stowage_burst_exhaustion_seconds')).length, 1);
      const confidence = Number((await prom.waitFor('stowage_burst_confidence_ratio'))[0]!.value[1]);
      assert.ok(confidence >= 0 && confidence < 0.01, 'started mid-way: the level is not known');
      // the filesystem size against df's
      const size = Number((await prom.waitFor('stowage_filesystem_size_bytes'))[0]!.value[1]);
      const df = spawnSync('df', ['--output=size', '-B1', dir], { encoding: 'utf8' }).stdout.trim().split('\n')[1]!.trim();
      assert.equal(size, Number(df));
      const iops = await prom.waitFor('stowage_disk_iops', 2);
      assert.deepEqual(iops.map((s) => s.metric.op).sort(), ['read', 'write']);
      const findings = await prom.waitFor('stowage_finding_active');
      assert.ok(findings.some((s) => s.metric.id === 'watch/exhaustion-predicted' && s.metric.severity === 'warn'));
      // readings keep coming: the counter grows between two scrapes
      const r1 = Number((await prom.waitFor('stowage_watch_readings_total'))[0]!.value[1]);
      await new Promise((r) => setTimeout(r, 2500));
      const r2 = Number((await prom.query('stowage_watch_readings_total'))[0]!.value[1]);
      assert.ok(r2 > r1, `readings ${r1} -> ${r2}`);
      const rate = await prom.waitFor('rate(stowage_watch_readings_total[5s]) > 0');
      assert.equal(rate.length, 1);

      // every query of the shipped Grafana dashboard is valid PromQL to this Prometheus, and the disk and
      // credit panels have data (the canary's start panel needs --canary)
      const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
      for (const panel of dash.panels) {
        for (const t of panel.targets) {
          const expr = t.expr.replaceAll('$instance', '.*');
          const series = await prom.query(expr);
          // the canary's panel needs --canary, and the findings table is empty while nothing is wrong
          if (!/container_start|finding_active/.test(expr)) assert.ok(series.length > 0, `${panel.title}: ${expr} has data`);
        }
      }

      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const check = promtoolMetrics(body);
      assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
    } finally {
      prom.stop();
      watch.child.kill('SIGINT');
      const code = await watch.exited;
      rmSync(dir, { recursive: true, force: true });
      assert.equal(code, 130, `Ctrl-C exits 130: ${watch.err()}`);
      assert.match(watch.err(), /stowage: watch interrupted\n/);
      assert.doesNotMatch(watch.err(), /\n\s+at /, 'no stack trace');
    }
  });

  it('--once --textfile writes one .prom file that promtool passes, and leaves no temporary behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-'));
    try {
      const r = await runCli(['watch', '--once', '--data-root', dir, '--textfile', dir, '--burst-model', 'custom',
        '--baseline-iops', '100', '--burst-iops', '1000', '--bucket-credits', '60000', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(dir), ['stowage.prom']);
      const text = readFileSync(join(dir, 'stowage.prom'), 'utf8');
      const check = promtoolMetrics(text);
      assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
      assert.match(text, /^stowage_burst_bucket_credits\{device="[^"]+",model="custom"\} 60000$/m);
      assert.match(text, /^stowage_watch_readings_total 1$/m);
      // one record per line, each valid against the published schema: the start, findings as raised, one reading
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      const validate = schemaValidator('watch-event.schema.json');
      for (const l of lines) assert.deepEqual(validate(l), [], JSON.stringify(l));
      assert.equal(lines[0]!.type, 'start');
      assert.equal(lines[lines.length - 1]!.type, 'reading');
      assert.equal(lines.filter((l) => l.type === 'reading').length, 1);
      assert.ok(lines.slice(1, -1).every((l) => l.type === 'finding'));
      // the schema is not a rubber stamp: the reading without its credits, or with an unknown field, fails it
      const reading = lines[lines.length - 1] as unknown as { reading: Record<string, unknown> };
      const { credits: _c, ...noCredits } = reading.reading;
      assert.notDeepEqual(validate({ ...reading, reading: noCredits }), []);
      assert.notDeepEqual(validate({ ...reading, extra: 1 }), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
