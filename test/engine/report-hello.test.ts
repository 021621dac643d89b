/**
 * stowage report on bench hello's --json document: a real run (busybox image, the registry stowage starts,
 * a flattened variant) rendered and opened in Debian's chromium through playwright-core, every request outside
 * the page refused. Oracle: the document's own numbers (checked against its schema), read back from the page's
 * table cells and timeline bars.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { busyboxRootfs, docker, removeImages, uniqueName } from '../support/docker-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { runCli } from '../support/run-cli.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('stowage report renders bench hello', { timeout: 400_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-report-hello-'));
  const tag = `${uniqueName('stowage-hello-report')}:1`;
  let doc: Json;
  let browser: Browser;

  before(async () => {
    const rootfs = busyboxRootfs();
    try {
      writeFileSync(join(rootfs, 'marker'), `${tag}\n`);
      const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
      await docker(['import', '-c', 'ENV PATH=/bin', '-c', 'CMD ["/bin/true"]', '-', tag], { input: tar.stdout });
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
    const [r, b] = await Promise.all([
      runCli(['--json', 'bench', 'hello', tag, '-n', '2', '--flatten', '--bytes-read', 'off'], { timeoutMs: 300_000 }),
      chromium.launch({ executablePath: '/usr/bin/chromium' }),
    ]);
    browser = b;
    assert.equal(r.code, 0, r.stderr);
    doc = JSON.parse(r.stdout) as Json;
    assert.deepEqual(schemaValidator('bench-hello.schema.json')(doc), [], 'the document follows its schema');
    writeFileSync(join(dir, 'hello.json'), r.stdout);
  });

  after(async () => {
    await browser?.close();
    await removeImages([tag]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the table and the timeline show the document\'s numbers; no request, no console error', async () => {
    const out = join(dir, 'hello.html');
    const r = await runCli(['report', join(dir, 'hello.json'), '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const requests: string[] = [];
    const errors: string[] = [];
    await context.route('**/*', (route) => {
      if (route.request().url() === `file://${out}`) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`file://${out}`, { waitUntil: 'load' });
      assert.deepEqual(requests, []);
      assert.deepEqual(errors, []);
      const images = doc.result.images as Json[];
      assert.deepEqual(images.map((i) => i.variant), ['layered', 'flattened']);
      // the table: one row per image and variant, medians as the document has them
      const rows = await page.$$eval('section[data-kind="bench hello"] table.hello tbody tr', (trs: any[]) => trs.map((tr) => // eslint-disable-line @typescript-eslint/no-explicit-any
        [...tr.querySelectorAll('th, td')].map((c: any) => c.getAttribute('data-value') ?? c.textContent))); // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(rows.length, images.length);
      images.forEach((img, k) => {
        const row = rows[k]!;
        assert.equal(row[0], img.name);
        assert.equal(row[1], img.variant);
        assert.deepEqual(row.slice(3, 6).map(Number), [img.push.median, img.pull.median, img.run.median]);
        assert.equal(Number(row[6]), img.pullShare * 100);
        assert.equal(Number(row[7]), img.pulledBytes);
        assert.equal(Number(row[8]), img.imageBytes);
      });
      const flatRatio = (images[1]!.pull.median + images[1]!.run.median) / (images[0]!.pull.median + images[0]!.run.median);
      assert.equal(Number(rows[1]![11]), flatRatio);
      // the timeline: one bar group per repetition, at the document's times
      const chart = await page.$eval('svg[data-chart="hello-timeline"]', (s: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        const [t, d] = (s.getAttribute('aria-labelledby') ?? '').split(' ');
        return { title: document.getElementById(t)?.textContent ?? '', desc: document.getElementById(d)?.textContent ?? '', width: s.getBoundingClientRect().width };
      });
      assert.ok(chart.title.length > 10 && chart.desc.length > 20 && chart.width > 600, JSON.stringify(chart));
      const bars = await page.$$eval('svg[data-chart="hello-timeline"] g.hello-run', (gs: any[]) => gs.map((g) => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
        variant: g.getAttribute('data-variant'), repetition: Number(g.getAttribute('data-repetition')), at: Number(g.getAttribute('data-at')),
        push: Number(g.getAttribute('data-push')), pull: Number(g.getAttribute('data-pull')), run: Number(g.getAttribute('data-run')),
        widths: [...g.querySelectorAll('rect')].map((rect: any) => rect.getBoundingClientRect().width), // eslint-disable-line @typescript-eslint/no-explicit-any
      })));
      const expected = images.flatMap((img) => (img.runs as Json[]).map((run) => ({ variant: img.variant, repetition: run.repetition, at: run.atMs, push: run.pushMs, pull: run.pullMs, run: run.runMs })));
      assert.deepEqual(bars.map(({ widths: _w, ...b }) => b), expected);
      // each phase's bar is as wide as its time against the others of the same run
      for (const b of bars) {
        const [push, pull] = b.widths as [number, number, number];
        if (b.push > 200 && b.pull > 200) assert.ok(Math.abs(push / pull - b.push / b.pull) < 0.1 * (b.push / b.pull) + 0.05, `${push}/${pull} against ${b.push}/${b.pull}`);
      }
      // the suite figures beside Slacker's
      const text = (await page.textContent('section[data-kind="bench hello"]'))!;
      assert.match(text, /Slacker: 76%/);
      assert.match(text, /Slacker: 6\.4%/);
    } finally {
      await context.close();
    }
    // the page renders again from itself
    const again = await runCli(['report', out, '-o', join(dir, 'again.html')]);
    assert.equal(again.code, 0, again.stderr);
  });

  test('a bench hello document without its images is refused, naming the file and the field', async () => {
    const broken = join(dir, 'broken.json');
    const { images: _images, ...rest } = doc.result;
    writeFileSync(broken, JSON.stringify({ ...doc, result: rest }));
    const r = await runCli(['report', broken, '-o', join(dir, 'broken.html')]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /broken\.json: the bench hello document lacks images/);
  });
});
