/**
 * The chown -R copy-up, measured: builds the 20,000-file fixture app with BuildKit before and after
 * `stowage lint --fix` and prints both build times, both image sizes and the ratios.
 * Run: npx tsc -p . && node dist/bench/lint-fix-build.js [files]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes, formatDuration } from '../src/render/format.js';
import { ensureBusybox, removeImages, uniqueName } from '../test/support/docker-cli.js';
import { build, FIXTURE_FILES, stowageLint, writeFixture } from '../test/engine/lint-fixture.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';

requirePrerequisites('bench/lint-fix-build', ['engine', NEEDS.busybox, NEEDS.tar]);

const files = Number(process.argv[2] ?? FIXTURE_FILES);
const base = await ensureBusybox();
const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-lint-'));
const before = uniqueName('stowage-bench/lint-before');
const after = uniqueName('stowage-bench/lint-after');
try {
  const { bytes } = writeFixture(dir, base, files);
  // --no-cache: both builds run every step
  const b = await build(dir, before, true);
  const fix = await stowageLint(['--no-engine', '--buildkit', '--fix', join(dir, 'Dockerfile')]);
  if (fix.code !== 0) throw new Error(`lint --fix exited ${fix.code}: ${fix.stdout}`);
  const a = await build(dir, after, true);
  const row = (label: string, x: string, y: string, ratio: string) => console.log(`${label.padEnd(14)} ${x.padStart(12)} ${y.padStart(12)} ${ratio.padStart(8)}`);
  console.log(`fixture: ${files} files, ${formatBytes(bytes)} of content; BuildKit (docker 20.10)`);
  row('', 'before', 'after --fix', 'ratio');
  row('build time', formatDuration(b.ms), formatDuration(a.ms), `${(b.ms / a.ms).toFixed(2)}x`);
  row('image size', formatBytes(b.size), formatBytes(a.size), `${(b.size / a.size).toFixed(2)}x`);
  console.log(`saved ${formatBytes(b.size - a.size)} (${b.size - a.size} B) >= ${bytes} B duplicated: ${b.size - a.size >= bytes ? 'yes' : 'NO'}`);
} finally {
  await removeImages([before, after]);
  rmSync(dir, { recursive: true, force: true });
}
