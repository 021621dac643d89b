/**
 * stowage report's render time, page size and first paint for the input: doctor and analyze
 * documents of this host (real, made by the library) and a 10,000-start bench start timeline (synthetic:
 * a real one takes an hour; test/support/report-fixtures.ts, checked against the schema by the tests).
 * Baselines from the same run: JSON.stringify of the same documents (render against serialising its input),
 * and the first paint of a one-line page in the same Chromium. Targets (issue 19): render < 1 s, page
 * < 2 MB, first paint < 500 ms.
 * Run: npx tsc -p . && node dist/bench/report.js   (root, dockerd, Debian's chromium)
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { analyzeImage } from '../src/analyze/analyze-image.js';
import { capabilityContext } from '../src/context.js';
import { runDoctor } from '../src/doctor/doctor.js';
import { toReportDocument } from '../src/render/html/report-input.js';
import { renderReportPage } from '../src/render/html/report-page.js';
import { jsonDocument } from '../src/render/json-document.js';
import { ensureBusybox } from '../test/support/docker-cli.js';
import { largeStartDocument } from '../test/support/report-fixtures.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/report', ['engine', NEEDS.busybox, NEEDS.tar, { file: '/usr/bin/chromium', install: 'apt-get install chromium' }]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const doc = (command: 'doctor' | 'analyze', r: object) => JSON.parse(JSON.stringify(jsonDocument(command, r))) as unknown;

const image = await ensureBusybox();
const inputs = [
  toReportDocument(doc('doctor', await runDoctor({ probe: false, windowMs: 200 })), 'doctor'),
  toReportDocument(doc('analyze', await analyzeImage({ reference: image }, capabilityContext())), 'analyze'),
  toReportDocument(largeStartDocument(10_000, [[40, 41, 42], [5_000], [9_990, 9_991]]), 'bench start (10,000 starts)'),
];

const renderMs: number[] = [];
const stringifyMs: number[] = [];
let html = '';
for (let i = 0; i < 5; i++) {
  let t = performance.now();
  html = renderReportPage(inputs);
  renderMs.push(performance.now() - t);
  t = performance.now();
  JSON.stringify(inputs.map((d) => d.document));
  stringifyMs.push(performance.now() - t);
}
const inputBytes = Buffer.byteLength(JSON.stringify(inputs.map((d) => d.document)));
const pageBytes = Buffer.byteLength(html);

const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-report-'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
try {
  writeFileSync(join(dir, 'report.html'), html);
  writeFileSync(join(dir, 'empty.html'), '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>x</title></head><body><p>hello</p></body></html>');
  const firstPaint = async (file: string) => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.goto(`file://${join(dir, file)}`, { waitUntil: 'load' });
    const fcp = await page.evaluate(() => new Promise<number>((resolve) => {
      const find = () => (globalThis as unknown as { performance: { getEntriesByName(n: string): { startTime: number }[] } }).performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
      const poll = () => { const v = find(); if (v !== undefined) resolve(v); else setTimeout(poll, 20); };
      poll();
    }));
    await page.close();
    return fcp;
  };
  const paint: number[] = [];
  const basePaint: number[] = [];
  for (let i = 0; i < 3; i++) {
    paint.push(await firstPaint('report.html'));
    basePaint.push(await firstPaint('empty.html'));
  }
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(`input: doctor + analyze ${image} + bench start of 10,000 starts, ${(inputBytes / 1e6).toFixed(2)} MB of JSON`);
  console.log(`render        ${f(median(renderMs))} (median of 5)   JSON.stringify of the input ${f(median(stringifyMs))}   ratio ${(median(renderMs) / median(stringifyMs)).toFixed(1)}x   target < 1000 ms`);
  console.log(`page size     ${(pageBytes / 1e6).toFixed(2)} MB            input JSON ${(inputBytes / 1e6).toFixed(2)} MB   ratio ${(pageBytes / inputBytes).toFixed(2)}x   target < 2 MB`);
  console.log(`first paint   ${f(median(paint))} (median of 3)   a one-line page ${f(median(basePaint))}   ratio ${(median(paint) / median(basePaint)).toFixed(1)}x   target < 500 ms`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
