/**
 * The single-file CLI that `npm run build` makes (dist/stowage.cjs, which bin/stowage runs when it is newer
 * than tsc's output) behaves as the modules tsc emits: built here with the package's own bundle command, it
 * gives the same lint document on the shared corpus, the same errors and exit codes, and loads the commands
 * it bundles lazily. CI's `npm test` runs tsc after `npm ci`'s build, so without this test the bundle would
 * go untested.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const corpus = join(root, '../shared/corpus/dockerfiles');
const files = readFileSync(join(corpus, 'files.txt'), 'utf8').split('\n').filter(Boolean).map((f) => join(corpus, f));

function node(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI from the bundle or from tsc's modules, as bin/stowage would. */
const viaBundle = (bundle: string, argv: string[]) =>
  node(['-e', `require(${JSON.stringify(bundle)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`, '--', ...argv]);
const viaModules = (argv: string[]) =>
  node(['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(join(root, 'dist/src/cli/main.js'))}); process.exitCode = await main(process.argv.slice(1));`, '--', ...argv]);

const withoutTime = (s: string) => s.replace(/"generatedAt": "[^"]+"/, '"generatedAt": "-"');

test('the bundled CLI gives what the modules give: lint on the corpus, usage errors, other commands', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bundle-'));
  // beside the real bundle, so that its external packages (dockerode, ssh2, fzstd) resolve as they do for it
  const bundle = join(root, 'dist', `.stowage-bundle-test-${process.pid}.cjs`);
  try {
    const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.bundle as string;
    const args = script.split(' ').slice(1).filter((a) => !a.startsWith('--outfile='));
    const built = spawnSync(join(root, 'node_modules/.bin/esbuild'), [...args, `--outfile=${bundle}`], { cwd: root, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    // bin/stowage runs the bundle through vm.Script (for its code cache), where Node 20 has no import():
    // the bundle command turns dynamic imports (dockerode) into requires
    assert.ok(!/(?<![\w$.])import\s*\(/.test(readFileSync(bundle, 'utf8')), 'the bundle has a dynamic import()');

    let lintDoc = '';
    for (const argv of [
      ['--json', 'lint', '--no-engine', ...files],
      ['lint', '--no-engine', '--fix-unsafe', '--diff', ...files.slice(0, 40)],
      ['lint', '--list-rules'],
      ['lint', '--no-engine', join(dir, 'no-such-Dockerfile')],
      ['--host', 'nosuch://x', 'lint', ...files.slice(0, 1)],
      ['nosuch'],
      ['--version'],
      ['flatten', '--help'],
    ]) {
      const a = viaBundle(bundle, argv);
      const b = viaModules(argv);
      const what = argv.filter((x) => !x.startsWith('/')).join(' ');
      assert.equal(a.code, b.code, `${what}: exit ${a.code} vs ${b.code}\n${a.stderr}`);
      assert.equal(withoutTime(a.stdout), withoutTime(b.stdout), what);
      assert.equal(a.stderr, b.stderr, what);
      assert.ok(a.stdout !== '' || a.stderr.startsWith('stowage: '), `${what}: printed nothing`);
      if (argv[0] === '--json') lintDoc = a.stdout;
    }
    // the lint document is a real one: every corpus file, schema version 1
    const doc = JSON.parse(lintDoc);
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.result.files.length, files.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  }
});

test('bin/stowage runs the bundle only when it is newer than tsc\'s output', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bundle-bin-'));
  try {
    // a copy of bin/stowage beside a fake dist/ whose bundle says which one ran
    const bin = join(dir, 'bin/stowage');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist/src/cli'), { recursive: true });
    copyFileSync(join(root, 'bin/stowage'), bin);
    // bin/package.json makes bin/stowage CommonJS inside this ESM package
    copyFileSync(join(root, 'bin/package.json'), join(dir, 'bin/package.json'));
    const write = (path: string, text: string) => writeFileSync(path, text);
    write(join(dir, 'package.json'), '{"type": "module"}');
    write(join(dir, 'dist/stowage.cjs'), 'exports.main = async () => { process.stdout.write("bundle"); return 0; };');
    write(join(dir, 'dist/src/cli/main.js'), 'export async function main() { process.stdout.write("modules"); return 0; }');
    const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
    at(join(dir, 'dist/src/cli/main.js'), 1_000);
    at(join(dir, 'dist/stowage.cjs'), 2_000);
    assert.equal(node([bin]).stdout, 'bundle');
    at(join(dir, 'dist/src/cli/main.js'), 3_000);
    assert.ok(statSync(join(dir, 'dist/src/cli/main.js')).mtimeMs > statSync(join(dir, 'dist/stowage.cjs')).mtimeMs);
    assert.equal(node([bin]).stdout, 'modules');
    rmSync(join(dir, 'dist/stowage.cjs'));
    assert.equal(node([bin]).stdout, 'modules');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bin/stowage uses the bundle\'s code cache only for the bundle it was made from', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-code-cache-'));
  try {
    const bin = join(dir, 'bin/stowage');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist/src/cli'), { recursive: true });
    copyFileSync(join(root, 'bin/stowage'), bin);
    // bin/package.json makes bin/stowage CommonJS inside this ESM package
    copyFileSync(join(root, 'bin/package.json'), join(dir, 'bin/package.json'));
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    writeFileSync(join(dir, 'dist/src/cli/main.js'), 'export async function main() { process.stdout.write("modules"); return 0; }');
    utimesSync(join(dir, 'dist/src/cli/main.js'), 1_000, 1_000);
    const bundle = join(dir, 'dist/stowage.cjs');
    const cache = `${bundle}.cache`;
    // two bundles of the same length: V8 itself checks only the length of the source a cache was made from
    const source = (word: string) => `exports.main = async () => { const say = () => process.stdout.write(${JSON.stringify(word)}); say(); return 0; };`;
    writeFileSync(bundle, source('AAAA'));
    utimesSync(bundle, 2_000, 2_000);
    const made = spawnSync(process.execPath, [bin], { encoding: 'utf8', env: { ...process.env, STOWAGE_WRITE_CODE_CACHE: '1' } });
    assert.equal(made.stdout, 'AAAA');
    const header = readFileSync(cache).subarray(0, 200).toString('latin1');
    assert.match(header, new RegExp(`^stowage-code-cache 1 ${process.version.replace(/\./g, '\\.')} \\S+ ${statSync(bundle).size} 2000000\n`));
    assert.equal(node([bin]).stdout, 'AAAA');

    writeFileSync(bundle, source('BBBB'));
    utimesSync(bundle, 3_000, 3_000);
    assert.equal(node([bin]).stdout, 'BBBB', 'a cache made from another bundle of the same length is not used');
    // a cache whose data V8 rejects only costs the compile
    writeFileSync(cache, Buffer.concat([Buffer.from(`stowage-code-cache 1 ${process.version} ${process.versions.v8} ${statSync(bundle).size} ${statSync(bundle).mtimeMs}\n`, 'latin1'), Buffer.alloc(64, 7)]));
    const r = node([bin]);
    assert.equal(r.stdout, 'BBBB');
    assert.equal(r.stderr, '');
    rmSync(cache);
    assert.equal(node([bin]).stdout, 'BBBB');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
