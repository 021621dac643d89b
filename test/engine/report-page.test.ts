/**
 * stowage report, judged by a real browser (Debian's chromium through playwright-core, never a downloaded
 * one): pages rendered from the real --json documents of doctor, analyze and bench start on this engine,
 * plus a hostile bench build document and a 10,000-start timeline, opened from file:// with every request
 * outside the page recorded and refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { schemaValidator } from '../support/json-schema.js';
import { runCli } from '../support/run-cli.js';
import { BUSYBOX_IMAGE, buildImage, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { diskDocument, HOSTILE_TEXT, hostileBuildDocument, largeStartDocument } from '../support/report-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
// the page's globals inside page.evaluate callbacks (the project compiles without the DOM library)
declare const document: any, window: any, location: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare function getComputedStyle(element: unknown): any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Reads a figure as the page prints it ("12.3 MB", "300 ms", "1.20 s", "4.5%") back into bytes, ms or a plain number. */
function readFigure(text: string): { value: number; unit: string } {
  const m = /^(-?[\d.]+)\s*(B|kB|MB|GB|TB|µs|ms|s|min|h|%|×)?(\/s)?/.exec(text.trim());
  assert.ok(m, `a figure: "${text}"`);
  const v = Number(m[1]);
  const scale: Record<string, [number, string]> = {
    B: [1, 'bytes'], kB: [1e3, 'bytes'], MB: [1e6, 'bytes'], GB: [1e9, 'bytes'], TB: [1e12, 'bytes'],
    'µs': [1e-3, 'ms'], ms: [1, 'ms'], s: [1e3, 'ms'], min: [6e4, 'ms'], h: [3.6e6, 'ms'], '%': [1, '%'], '×': [1, '×'],
  };
  const [k, unit] = m[2] ? scale[m[2]]! : [1, ''];
  return { value: v * k, unit: m[3] ? `${unit}/s` : unit };
}

/** True when `shown` (as printed, 3 significant digits or so) is `exact` rounded. */
function agrees(shown: string, exact: number): boolean {
  const { value } = readFigure(shown);
  return Math.abs(value - exact) <= Math.max(Math.abs(exact) * 0.006, 0.051);
}

describe('stowage report in a real browser', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-report-'));
  const shots = process.env.STOWAGE_TEST_OUTPUT ? join(process.env.STOWAGE_TEST_OUTPUT, 'report-page') : join(dir, 'screenshots');
  const tag = `${uniqueName('stowage-test/report')}:latest`;
  const docs: Record<string, Json> = {};
  const files: Record<string, string> = {};
  const watchEvents: Record<string, Json[]> = {};
  let browser: Browser;

  async function produce(name: string, schema: string, args: string[]): Promise<void> {
    const r = await runCli(['--json', ...args]);
    assert.ok(r.code === 0 || r.code === 1, `stowage ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    const doc = JSON.parse(r.stdout) as Json;
    assert.deepEqual(schemaValidator(schema)(doc), [], `${name} follows its schema`);
    docs[name] = doc;
    files[name] = join(dir, `${name}.json`);
    writeFileSync(files[name]!, r.stdout);
  }

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await ensureBusybox();
    // layers with a metadata-only copy (chown -R) and wasted bytes (a file written, then removed)
    await buildImage(tag, 'FROM stowage-test/busybox:latest\nCOPY app/ /app/\nRUN chown -R 1000:1000 /app\nRUN rm /app/b\n',
      { 'app/a': Buffer.alloc(300_000, 1), 'app/b': Buffer.alloc(200_000, 2) });
    // side by side to keep the test short: none of their figures is judged here, only how the page shows them
    const [browserStarted, watchRun] = await Promise.all([
      chromium.launch({ executablePath: '/usr/bin/chromium' }),
      // a watch snapshot: --data-root, so it reads /proc and /sys only; a custom burst model with a tiny bucket
      // gives the credit estimate (and, when the host writes, a finding) within three readings
      runCli(['watch', '--json', '--count', '3', '--interval', '200ms', '--data-root', dir,
        '--burst-model', 'custom', '--baseline-iops', '10', '--burst-iops', '3000', '--bucket-credits', '5400']),
      produce('doctor', 'doctor.schema.json', ['doctor', '--no-probe', '--window', '200']),
      produce('analyze', 'analyze.schema.json', ['analyze', tag]),
      // the --json document has no per-start rows; the timeline is in the timeline.json that --out writes
      produce('startSummary', 'bench-start.schema.json', ['bench', 'start', '--image', BUSYBOX_IMAGE, '-n', '3', '--interval', '100', '--cmd', 'true', '--out', join(dir, 'timeline')]),
    ]);
    browser = browserStarted;
    assert.equal(watchRun.code, 0, `stowage watch --json: ${watchRun.stderr}`);
    files.watch = join(dir, 'watch.ndjson');
    writeFileSync(files.watch, watchRun.stdout);
    watchEvents.watch = watchRun.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Json);
    const validateWatch = schemaValidator('watch-event.schema.json');
    for (const e of watchEvents.watch) assert.deepEqual(validateWatch(e), [], `watch ${e.type} event follows its schema`);
    // the same snapshot with a finding raised after the first reading and cleared after the second, its
    // title hostile: marks, links and escaping are judged whatever this host's disk did in 600 ms
    const hostile = { id: 'watch/blocked-tasks', severity: 'warn', title: `tasks stuck in D state ${HOSTILE_TEXT}`, subject: { kind: 'device', id: `vda ${HOSTILE_TEXT}` },
      evidence: [{ label: 'tasks', value: 3 }], fix: { summary: `look at ${HOSTILE_TEXT}`, commands: ['cat /proc/pressure/io'] } };
    const plain = watchEvents.watch.filter((e) => e.type !== 'finding');
    const readingAt = plain.map((e, i) => (e.type === 'reading' ? i : -1)).filter((i) => i >= 0);
    watchEvents.hostile = [...plain.slice(0, readingAt[0]! + 1), { schemaVersion: 1, type: 'finding', state: 'raised', finding: hostile },
      ...plain.slice(readingAt[0]! + 1, readingAt[1]! + 1), { schemaVersion: 1, type: 'finding', state: 'cleared', finding: hostile }, ...plain.slice(readingAt[1]! + 1)];
    for (const e of watchEvents.hostile) assert.deepEqual(validateWatch(e), [], `hostile watch ${e.type} event follows its schema`);
    files.watchHostile = join(dir, 'watch-hostile.ndjson');
    writeFileSync(files.watchHostile, watchEvents.hostile.map((e) => JSON.stringify(e)).join('\n') + '\n');
    files.start = join(dir, 'timeline', 'timeline.json');
    docs.start = JSON.parse(readFileSync(files.start, 'utf8')) as Json;
    assert.deepEqual(schemaValidator('bench-start.schema.json')(docs.start), [], 'timeline.json follows its schema');
    assert.equal(docs.start.result.iterations.length, 3);
    for (const [name, doc] of [['build', hostileBuildDocument()], ['disk', JSON.parse(JSON.stringify(diskDocument()))], ['large', largeStartDocument(10_000, [[40, 41, 42], [5_000], [9_990, 9_991]])]] as const) {
      docs[name] = doc as Json;
      files[name] = join(dir, `${name}.json`);
      writeFileSync(files[name]!, JSON.stringify(doc));
    }
  });

  after(async () => {
    await browser?.close();
    await removeImages([tag]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function render(name: string, inputs: string[]): Promise<string> {
    const out = join(dir, `${name}.html`);
    const r = await runCli(['report', ...inputs, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    return out;
  }

  /** Opens a page from file://, refusing and recording any other request, collecting console errors. */
  async function open(file: string, width = 1000): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const requests: string[] = [];
    const errors: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url === `file://${file}`) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  test('the real documents render: no request, no console error, every chart titled and described', async () => {
    const file = await render('real', [files.doctor!, files.analyze!, files.start!, files.build!, files.disk!]);
    const { page, requests, errors } = await open(file);
    try {
      assert.deepEqual(requests, []);
      assert.deepEqual(errors, []);
      const charts = await page.$$eval('svg[role="img"]', (svgs) => svgs.map((s) => {
        const [t, d] = (s.getAttribute('aria-labelledby') ?? '').split(' ');
        return { kind: s.getAttribute('data-chart'), title: document.getElementById(t!)?.textContent ?? '', desc: document.getElementById(d!)?.textContent ?? '',
          titleIsChild: document.getElementById(t!)?.parentElement === s, width: s.getBoundingClientRect().width };
      }));
      const kinds = charts.map((c) => c.kind);
      if (docs.doctor!.result.facts.usage) assert.ok(kinds.includes('space'), 'doctor\'s space chart');
      for (const k of ['layer-bytes', 'depth-profile', 'start-timeline']) assert.ok(kinds.includes(k), k);
      assert.equal(kinds.filter((k) => k === 'build-steps').length, 2, 'one step chart per build');
      for (const c of charts) {
        assert.ok(c.title.length > 10 && c.desc.length > 20 && c.titleIsChild, `${c.kind} has a title and a description`);
        assert.ok(c.width > 600, `${c.kind} is drawn (${c.width} px)`);
      }
      assert.equal(await page.$$eval('script', (s) => s.length), 1, 'no script but the embedded data');
      assert.equal(await page.$$eval('svg[data-chart="start-timeline"] circle.run', (c) => c.length), docs.start!.result.iterations.length);
      assert.ok((await page.textContent('body'))!.includes(`Dockerfile.${HOSTILE_TEXT}`), 'hostile names shown as text');
      // bench disk: its figures and the host/container comparison, as the document has them
      const disk = docs.disk!.result;
      const cells = await page.$$eval('section[data-kind="bench disk"] table.comparison tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value'))));
      assert.deepEqual(cells.map((c) => c.map(Number)), [
        [disk.comparison.host.syncWrite.p50Ms, disk.comparison.container.syncWrite.p50Ms, disk.comparison.slowerBy.syncP50],
        [disk.comparison.host.syncWrite.p99Ms, disk.comparison.container.syncWrite.p99Ms, disk.comparison.slowerBy.syncP99],
        [disk.comparison.host.smallWritesPerSec, disk.comparison.container.smallWritesPerSec, disk.comparison.slowerBy.smallWrites],
        [disk.comparison.host.sequentialBytesPerSec, disk.comparison.container.sequentialBytesPerSec, disk.comparison.slowerBy.sequential],
      ]);
      await page.screenshot({ path: join(shots, 'real-1000.png'), fullPage: true });
    } finally {
      await page.context().close();
    }
  });

  test('the numbers shown are the documents\' numbers', async () => {
    const file = await render('numbers', [files.doctor!, files.analyze!, files.start!, files.startSummary!]);
    const { page } = await open(file);
    try {
      assert.equal(await page.$$eval('svg[data-chart="start-timeline"]', (c) => c.length), 1, 'a timeline for timeline.json only');
      assert.equal(await page.$$eval('.timeline-missing', (c) => c.length), 1, 'the --json document says where its timeline is');
      // analyze: one bar per layer, bar bytes and table cells equal the layer's bytes
      const a = docs.analyze!.result;
      const bars = await page.$$eval('svg[data-chart="layer-bytes"] .layer-bar', (gs) => gs.map((g) => ({
        layer: Number(g.getAttribute('data-layer')), bytes: Number(g.getAttribute('data-bytes')), segs: [...g.querySelectorAll('rect:not(.hit)')].map((r) => r.getAttribute('class')),
      })));
      assert.equal(bars.length, a.layers.length);
      for (const l of a.layers) {
        const bar = bars.find((b) => b.layer === l.index)!;
        assert.equal(bar.bytes, l.bytes);
        if (l.wastedBytes > 0) assert.ok(bar.segs.includes('seg-wasted'), `layer ${l.index} shows its wasted bytes`);
        if (l.metadataOnly.bytes > 0 && l.wastedBytes < l.bytes) assert.ok(bar.segs.includes('seg-metadata'), `layer ${l.index} shows its metadata-only bytes`);
      }
      assert.ok(a.totals.wastedBytes > 0 && a.totals.metadataOnlyBytes > 0, 'the test image has waste and a metadata-only copy');
      // a layer with a finding links its bar to that finding
      const layerFindings = (a.findings as Json[]).filter((f) => f.subject.kind === 'layer');
      assert.ok(layerFindings.length > 0, 'the chown layer has a finding');
      for (const f of layerFindings) {
        const layer = Number(/ layer (\d+)$/.exec(f.subject.id)![1]);
        const target = await page.$eval(`svg[data-chart="layer-bytes"] .layer-bar[data-layer="${layer}"]`, (g) => {
          const href = g.parentElement?.getAttribute('href');
          const el = href ? document.querySelector(href) : null;
          return el ? { id: el.getAttribute('data-finding-id'), title: el.querySelector('h4')?.textContent ?? '' } : null;
        });
        assert.ok(target && layerFindings.some((x) => x.id === target.id && target.title.endsWith(x.title)), `layer ${layer}'s bar links to its finding`);
      }
      const layerRows = await page.$$eval('section[data-kind="analyze"] table.layers tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => ({ text: td.textContent ?? '', value: td.getAttribute('data-value') }))));
      assert.equal(layerRows.length, a.layers.length);
      a.layers.forEach((l: Json, i: number) => {
        const [, content, wasted, meta] = layerRows[i]!;
        assert.equal(Number(content!.value), l.bytes);
        assert.ok(agrees(content!.text, l.bytes), `layer ${i} content "${content!.text}" is ${l.bytes} bytes`);
        assert.ok(agrees(wasted!.text, l.wastedBytes), `layer ${i} wasted "${wasted!.text}" is ${l.wastedBytes}`);
        assert.ok(agrees(meta!.text, l.metadataOnly.bytes), `layer ${i} metadata-only "${meta!.text}" is ${l.metadataOnly.bytes}`);
      });
      // bench start: a mark per stalled start, a point per other start, the latency table
      const s = docs.start!.result;
      assert.equal(await page.$$eval('svg[data-chart="start-timeline"] .stall-mark', (m) => m.length), s.stalls.length);
      assert.equal(await page.$$eval('svg[data-chart="start-timeline"] circle.run', (m) => m.length), s.iterations.filter((i: Json) => !i.stall && !i.error).length);
      if (s.samples.length) assert.equal(Number(await page.getAttribute('svg[data-chart="start-timeline"] .series-iops', 'data-samples')), s.samples.length);
      const total = await page.$$eval('section[data-kind="bench start"] table.latency', (ts) => [...ts[0]!.querySelectorAll('tbody tr:first-child td')].map((td) => td.textContent ?? ''));
      ['p50', 'p90', 'p99', 'min', 'max', 'mean'].forEach((k, i) => assert.ok(agrees(total[i]!, s.summary.total[k]), `${k} "${total[i]}" is ${s.summary.total[k]} ms`));
      // doctor: the space table against docker system df's totals
      const usage = docs.doctor!.result.facts.usage;
      if (usage) {
        const rows = await page.$$eval('section[data-kind="doctor"] table.space tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
        ['images', 'containers', 'volumes', 'buildCache'].forEach((k, i) => {
          const [count, , size, reclaimable] = rows[i]!;
          assert.equal(Number(count), usage.totals[k].count);
          assert.ok(agrees(size!, usage.totals[k].size), `${k} size "${size}" is ${usage.totals[k].size}`);
          assert.ok(agrees(reclaimable!, usage.totals[k].reclaimable), `${k} reclaimable "${reclaimable}"`);
        });
      }
      // every finding of every document is on the page with its evidence and fix
      const shown = await page.$$eval('article.finding', (as) => as.map((a) => ({ id: a.getAttribute('data-finding-id'), title: a.querySelector('h4')?.textContent ?? '', fix: a.querySelector('.fix p')?.textContent ?? null, evidence: a.querySelectorAll('table.evidence tr').length })));
      const all = [docs.doctor!, docs.analyze!, docs.start!, docs.startSummary!].flatMap((d) => d.result.findings as Json[]);
      assert.equal(shown.length, all.length);
      for (const f of all) {
        const s2 = shown.find((x) => x.id === f.id && x.title.endsWith(f.title));
        assert.ok(s2, `finding ${f.id} "${f.title}" shown`);
        assert.equal(s2.evidence, f.evidence.length);
        assert.equal(s2.fix, f.fix?.summary ?? null);
      }
    } finally {
      await page.context().close();
    }
  });

  test('10,000 starts: drawn as min/max per pixel, every stall marked and linked to its finding, under 2 MB', async () => {
    const started = performance.now();
    const file = await render('large', [files.large!]);
    const renderMs = performance.now() - started;
    const bytes = statSync(file).size;
    assert.ok(bytes < 2_000_000, `${bytes} bytes`);
    const { page, requests, errors } = await open(file);
    try {
      assert.deepEqual(requests, []);
      assert.deepEqual(errors, []);
      const d = docs.large!.result;
      assert.equal(await page.$$eval('.stall-mark', (m) => m.length), d.stalls.length);
      const buckets = Number(await page.getAttribute('.run-range', 'data-buckets'));
      assert.ok(buckets > 100 && buckets <= 720, `${buckets} pixel columns for ${d.iterations.length} starts`);
      assert.equal(await page.$$eval('circle.run', (c) => c.length), 0, 'no point per start');
      // the stalled start 5000 links to the second episode's finding, which scrolls into view
      const mark = page.locator('.stall-mark[data-iteration="5000"]');
      const href = await mark.evaluate((g) => g.parentElement?.getAttribute('href'));
      assert.ok(href?.startsWith('#'));
      const target = await page.$eval(href!, (el) => ({ title: el.querySelector('h4')?.textContent ?? '' }));
      assert.ok(target.title.includes(d.findings[1].title));
      await mark.locator('circle').click();
      assert.equal(await page.evaluate(() => location.hash), href);
      const box = await page.$eval(href!, (el) => { const r = el.getBoundingClientRect(); return { top: r.top, inView: r.top >= 0 && r.top < window.innerHeight }; });
      assert.ok(box.inView, `the finding is scrolled into view (top ${box.top})`);
      await page.screenshot({ path: join(shots, 'large-1000.png') });
      process.stderr.write(`report of 10,000 starts: ${bytes} bytes, CLI run ${Math.round(renderMs)} ms\n`);
    } finally {
      await page.context().close();
    }
  });

  test('watch snapshots: the chart titled, one mark per finding event linked to its finding, no request, no console error', async () => {
    const file = await render('watch', [files.watch!, files.watchHostile!]);
    const { page, requests, errors } = await open(file);
    try {
      assert.deepEqual(requests, []);
      assert.deepEqual(errors, []);
      const sections = ['watch', 'hostile'];
      assert.equal(await page.$$eval('section[data-kind="watch"]', (s) => s.length), sections.length);
      for (const [k, name] of sections.entries()) {
        const events = watchEvents[name]!;
        const chart = await page.$eval(`#doc-${k + 1}`, (sec) => {
          const svg = sec.querySelector('svg[data-chart="watch-timeline"]');
          const [t, d] = (svg?.getAttribute('aria-labelledby') ?? '').split(' ');
          return { role: svg?.getAttribute('role'), title: document.getElementById(t!)?.textContent ?? '', desc: document.getElementById(d!)?.textContent ?? '',
            titleIsChild: document.getElementById(t!)?.parentElement === svg, width: svg?.getBoundingClientRect().width ?? 0 };
        });
        assert.equal(chart.role, 'img', `${name}: a chart with role img`);
        assert.ok(chart.title.includes('IOPS, await, burst credits and D-state tasks') && chart.titleIsChild, `${name} chart titled: ${chart.title}`);
        assert.ok(chart.desc.includes(`${events.filter((e) => e.type === 'reading').length} readings`), `${name} described: ${chart.desc}`);
        assert.ok(chart.width > 600, `${name} chart drawn (${chart.width} px)`);
        const marks = await page.$eval(`#doc-${k + 1}`, (sec) => ({
          raised: sec.querySelectorAll('svg .finding-mark.raised').length,
          cleared: sec.querySelectorAll('svg .finding-mark.cleared').length,
          iops: Number(sec.querySelector('svg .series-iops')?.getAttribute('data-samples')),
          credits: Number(sec.querySelector('svg .series-credits')?.getAttribute('data-samples')),
          dstate: Number(sec.querySelector('svg .series-dstate')?.getAttribute('data-samples')),
          findings: sec.querySelectorAll('article.finding').length,
        }));
        const findingEvents = events.filter((e) => e.type === 'finding');
        const readings = events.filter((e) => e.type === 'reading');
        assert.deepEqual(marks, {
          raised: findingEvents.filter((e) => e.state === 'raised').length,
          cleared: findingEvents.filter((e) => e.state === 'cleared').length,
          iops: readings.length, credits: readings.filter((e) => e.reading.credits).length, dstate: readings.length,
          findings: findingEvents.filter((e) => e.state === 'raised').length,
        }, `${name}: marks and series against the input`);
      }
      // the hostile snapshot: its raised mark links to the finding, which scrolls into view; the title is text
      const mark = page.locator('#doc-2 svg .finding-mark.raised').first();
      const href = await mark.evaluate((g) => g.parentElement?.getAttribute('href'));
      assert.ok(href?.startsWith('#'), 'the raised mark is a link');
      const cleared = await page.locator('#doc-2 svg .finding-mark.cleared').first().evaluate((g) => g.parentElement?.getAttribute('href'));
      assert.equal(cleared, href, 'the cleared mark links to the raise it ends');
      const target = await page.$eval(href!, (el) => ({ id: el.getAttribute('data-finding-id'), title: el.querySelector('h4')?.textContent ?? '', evidence: el.querySelectorAll('table.evidence tr').length, fix: el.querySelector('.fix')?.textContent ?? '' }));
      assert.equal(target.id, 'watch/blocked-tasks');
      assert.ok(target.title.endsWith(`tasks stuck in D state ${HOSTILE_TEXT}`), target.title);
      assert.equal(target.evidence, 1);
      assert.ok(target.fix.includes(`look at ${HOSTILE_TEXT}`));
      await mark.locator('path').click();
      assert.equal(await page.evaluate(() => location.hash), href);
      const box = await page.$eval(href!, (el) => { const r = el.getBoundingClientRect(); return { top: r.top, inView: r.top >= 0 && r.top < window.innerHeight }; });
      assert.ok(box.inView, `the finding is scrolled into view (top ${box.top})`);
      assert.equal(await page.$$eval('script', (s) => s.length), 1, 'no script but the embedded data');
      await page.screenshot({ path: join(shots, 'watch-1000.png'), fullPage: true });
    } finally {
      await page.context().close();
    }
  });

  test('375 px wide: nothing overflows sideways; print media hides the navigation and prints', async () => {
    for (const name of ['real', 'large']) {
      const { page } = await open(join(dir, `${name}.html`), 375);
      try {
        const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth }));
        assert.ok(widths.doc <= widths.view && widths.body <= widths.view, `${name}: ${JSON.stringify(widths)}`);
        // a chart keeps a readable width and scrolls inside its own box: the box stays on the screen
        const charts = await page.$$eval('figure.chart', (fs) => fs.map((f) => ({ right: f.getBoundingClientRect().right, svg: f.querySelector('svg')!.getBoundingClientRect().width })));
        for (const c of charts) {
          assert.ok(c.right <= 375, `chart box inside the screen (${c.right})`);
          assert.ok(c.svg >= 540, `chart drawn at a readable width (${c.svg} px)`);
        }
        await page.screenshot({ path: join(shots, `${name}-375.png`), fullPage: name === 'real' });
        await page.emulateMedia({ media: 'print' });
        assert.equal(await page.$eval('nav', (n) => getComputedStyle(n).display), 'none');
        assert.ok(await page.$eval('svg[role="img"]', (s) => s.getBoundingClientRect().height > 50), 'charts are printed');
        if (name === 'real') {
          const pdf = await page.pdf({ format: 'A4' });
          assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
          writeFileSync(join(shots, `${name}.pdf`), pdf);
        }
      } finally {
        await page.context().close();
      }
    }
    for (const f of readdirSync(shots).filter((f) => f.endsWith('.png'))) assert.ok(readFileSync(join(shots, f)).subarray(1, 4).toString() === 'PNG', f);
  });

  test('a page renders again from its embedded data', async () => {
    const again = await render('again', [join(dir, 'real.html')]);
    const data = (f: string) => {
      const m = /<script type="application\/json" id="stowage-report-data">([^<]*)<\/script>/.exec(readFileSync(f, 'utf8'));
      return (JSON.parse(m![1]!) as Json).documents.map((d: Json) => d.document);
    };
    assert.deepEqual(data(again), [docs.doctor, docs.analyze, docs.start, docs.build, docs.disk]);
  });

  test('bad input: a clear error naming the file, exit 4, nothing written', async () => {
    const out = join(dir, 'bad', 'page.html');
    mkdirSync(join(dir, 'bad'));
    const text = readFileSync(files.analyze!, 'utf8');
    const cases: [string, string, RegExp][] = [
      ['truncated.json', text.slice(0, text.length / 2), /truncated\.json: not valid JSON, truncated/],
      ['other.json', readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'), /other\.json: not a stowage --json document/],
      ['future.json', text.replace('"schemaVersion": 1', '"schemaVersion": 7'), /future\.json: schemaVersion 7 is not one this stowage reads/],
    ];
    for (const [name, content] of cases) writeFileSync(join(dir, name), content);
    const [results, missing, none, images, unwritable] = await Promise.all([
      Promise.all(cases.map(([name]) => runCli(['report', files.doctor!, join(dir, name), '-o', out]))),
      runCli(['--json', 'report', join(dir, 'nosuch.json'), '-o', out]),
      runCli(['report', '-o', out]),
      runCli(['report', files.doctor!, '--images', '2', '-o', out]),
      runCli(['report', files.doctor!, '-o', join(dir, 'no-such-dir', 'page.html')]),
    ]);
    cases.forEach(([name, , message], i) => {
      const r = results[i]!;
      assert.equal(r.code, 4, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length <= 2 && !r.stderr.includes('    at '), true, 'one line and a hint, no stack');
    });
    assert.deepEqual(readdirSync(join(dir, 'bad')), [], 'no page, no temporary');
    // a page already there stays as it was when the new one cannot be made
    writeFileSync(out, 'the old page');
    const over = await runCli(['report', join(dir, 'truncated.json'), '-o', out]);
    assert.equal(over.code, 4);
    assert.equal(readFileSync(out, 'utf8'), 'the old page');
    assert.deepEqual(readdirSync(join(dir, 'bad')), ['page.html']);
    assert.equal(missing.code, 4);
    assert.equal(JSON.parse(missing.stdout).error.code, 'bad-input');
    assert.equal(none.code, 2, 'no input');
    assert.equal(images.code, 2, '--images without --run');
    assert.equal(unwritable.code, 6, unwritable.stderr);
    assert.match(unwritable.stderr, /cannot write .*no-such-dir\/page\.html/);
    assert.ok(!existsSync(join(dir, 'no-such-dir')));
  });

  test('--run: doctor rendered in one go (--images: report-run.test.ts), --json says what was written', async () => {
    const out = join(dir, 'run.html');
    const r = await runCli(['--json', 'report', '--run', '--no-probe', '--window', '200', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as Json;
    assert.deepEqual(schemaValidator('report.schema.json')(summary), []);
    assert.equal(summary.result.bytes, statSync(out).size);
    assert.deepEqual(summary.result.documents.map((d: Json) => d.kind), ['doctor']);
    const { page, requests, errors } = await open(out);
    try {
      assert.deepEqual([requests, errors], [[], []]);
      assert.equal(await page.$$eval('section[data-kind="doctor"]', (s) => s.length), 1);
    } finally {
      await page.context().close();
    }
  });
});
