/**
 * stowage migrate between two private engines (issue 15), judged by Docker: images built on one, exported
 * to a store, imported into the other; image IDs, RootFS diff IDs and tags as `docker image inspect` reports
 * them on both, volume files as `docker run` lists and hashes them on both, the store's blobs hashed by
 * sha256sum and loaded by `docker load` itself. Then a kill -9 mid-import and a rerun, a flipped byte that
 * verify names and import refuses, and bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync, writeSync, linkSync, symlinkSync, chownSync, chmodSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { LoopDisk } from '../support/loop-disk.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { runCli, STOWAGE_BIN } from '../support/run-cli.js';

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).sort();

/** What Docker says the engine holds: every image's ID, diff IDs and tags. */
async function imagesOf(env: NodeJS.ProcessEnv): Promise<Map<string, { layers: string[]; tags: string[] }>> {
  const ids = lines((await docker(['images', '-aq', '--no-trunc'], { env })).stdout);
  const out = new Map<string, { layers: string[]; tags: string[] }>();
  if (!ids.length) return out;
  const inspected = JSON.parse((await docker(['image', 'inspect', ...new Set(ids)], { env })).stdout) as { Id: string; RepoTags: string[]; RootFS: { Layers: string[] } }[];
  for (const i of inspected) out.set(i.Id, { layers: i.RootFS.Layers, tags: [...(i.RepoTags ?? [])].sort() });
  return out;
}

/** The volume as busybox in a container sees it: every path with mode, owner, size, link count, mtime, and file hashes. */
async function volumeListing(env: NodeJS.ProcessEnv, volume: string, image: string): Promise<string> {
  const script = 'cd /v && find . -exec stat -c "%n %a %u:%g %F %h" {} + | sort && find . ! -type d -exec stat -c "%n %s %Y" {} + | sort'
    + ' && find . -type f -exec sha256sum {} + | sort && find . -type l -exec ls -l {} + | sed "s/.* \\.\\//.\\//" | sort';
  return (await docker(['run', '--rm', '--network', 'none', '-v', `${volume}:/v:ro`, image, 'sh', '-c', script], { env })).stdout;
}

/**
 * The volume as Python sees it on the host (the private engines are local): per path its type, mode, owner,
 * size, link count, sha256, link target and user.* xattrs, and per regular file whether it takes fewer
 * 512-byte blocks than half its size (sparse); hardlinks as the group's first path.
 */
function pythonListing(mountpoint: string): string {
  const script = `
import hashlib, os, stat, sys
root = sys.argv[1]
seen = {}
out = []
for d, dirs, files in os.walk(root):
    for n in sorted(dirs + files):
        p = os.path.join(d, n); r = os.path.relpath(p, root); s = os.lstat(p)
        h = link = ''
        if stat.S_ISREG(s.st_mode):
            with open(p, 'rb') as f: h = hashlib.sha256(f.read()).hexdigest()
        if stat.S_ISLNK(s.st_mode): link = os.readlink(p)
        xs = ','.join(sorted(k + '=' + os.getxattr(p, k, follow_symlinks=False).hex() for k in os.listxattr(p, follow_symlinks=False) if k.startswith('user.')))
        group = ''
        if stat.S_ISREG(s.st_mode) and s.st_nlink > 1: group = seen.setdefault((s.st_ino), r)
        sparse = stat.S_ISREG(s.st_mode) and s.st_blocks * 512 < s.st_size // 2
        out.append('|'.join([r, oct(s.st_mode), f'{s.st_uid}:{s.st_gid}', str(s.st_size if not stat.S_ISDIR(s.st_mode) else 0), str(s.st_nlink if not stat.S_ISDIR(s.st_mode) else 0), h, link, xs, group, 'sparse' if sparse else '']))
print('\\n'.join(sorted(out)))
`;
  const r = spawnSync('python3', ['-c', script, mountpoint], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3 listing of ${mountpoint}: ${r.stderr}`);
  return r.stdout;
}

async function mountpointOf(env: NodeJS.ProcessEnv, volume: string): Promise<string> {
  return (await docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', volume], { env })).stdout.trim();
}

/** getfattr, stat and du on the volume's directory: the xattr's value, the hardlink's count, the sparse file's allocation. */
async function hostChecks(env: NodeJS.ProcessEnv, volume: string): Promise<{ xattr: string; links: string; sparseKiB: number; sparseSize: number }> {
  const mount = await mountpointOf(env, volume);
  const xattr = spawnSync('getfattr', ['--only-values', '-n', 'user.stowage', join(mount, 'tagged')], { encoding: 'utf8' }).stdout;
  const links = spawnSync('stat', ['-c', '%h', join(mount, 'data.bin'), join(mount, 'etc/hardlink.bin')], { encoding: 'utf8' }).stdout.trim();
  const sparseKiB = Number(spawnSync('du', ['-k', join(mount, 'sparse.img')], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
  const sparseSize = Number(spawnSync('stat', ['-c', '%s', join(mount, 'sparse.img')], { encoding: 'utf8' }).stdout.trim());
  return { xattr, links, sparseKiB, sparseSize };
}

async function assertVolumeKept(dst: NodeJS.ProcessEnv, src: NodeJS.ProcessEnv, volume: string): Promise<void> {
  assert.equal(pythonListing(await mountpointOf(dst, volume)), pythonListing(await mountpointOf(src, volume)));
  const c = await hostChecks(dst, volume);
  assert.equal(c.xattr, 'kept?', 'getfattr reads the user xattr on the target');
  assert.equal(c.links, '2\n2', 'the hardlink is one inode with two links');
  assert.equal(c.sparseSize, 100 * 1024 * 1024);
  assert.ok(c.sparseKiB < 1024, `the 100 MB sparse file takes ${c.sparseKiB} KiB on the target (du)`);
}

describe('stowage migrate between two private engines', { timeout: 1_200_000 }, () => {
  const src = new PrivateDaemon();
  const dst = new PrivateDaemon();
  const work = mkdtempSync(join(tmpdir(), 'stowage-migrate-test-'));
  const store = join(work, 'store');
  const volume = uniqueName('stowage-migrate-vol').toLowerCase();
  const repo = uniqueName('stowage-test/migrate').toLowerCase();
  const cli = (daemon: PrivateDaemon, args: string[], timeoutMs = 600_000) => runCli(['-H', daemon.host, ...args], { timeoutMs });
  let srcImages: Map<string, { layers: string[]; tags: string[] }>;

  const wipeTarget = async () => {
    const containers = lines((await docker(['ps', '-aq'], { env: dst.env })).stdout);
    if (containers.length) await docker(['rm', '-f', ...containers], { env: dst.env });
    const ids = lines((await docker(['images', '-aq', '--no-trunc'], { env: dst.env })).stdout);
    if (ids.length) await docker(['rmi', '-f', ...new Set(ids)], { env: dst.env });
    await docker(['volume', 'rm', '-f', volume], { env: dst.env });
    assert.equal((await imagesOf(dst.env)).size, 0);
  };

  before(async () => {
    await Promise.all([src.start(), dst.start()]);
    const base = await ensureBusybox(src.env);
    const shared = randomBytes(6_000_000);
    // a shared base layer under three images, one image with three tags, one left untagged by a rebuild
    await buildImage(`${repo}:a1`, `FROM ${base}\nCOPY s /s\nCOPY a /a\n`, { s: shared, a: randomBytes(4_000_000) }, src.env);
    await docker(['tag', `${repo}:a1`, `${repo}:a2`], { env: src.env });
    await docker(['tag', `${repo}:a1`, `${repo}-other:a3`], { env: src.env });
    await buildImage(`${repo}:b`, `FROM ${base}\nCOPY s /s\nCOPY b /b\nRUN chmod 600 /b\n`, { s: shared, b: randomBytes(3_000_000) }, src.env);
    await buildImage(`${repo}:c`, `FROM ${base}\nCOPY s /s\nCOPY c /c\n`, { s: shared, c: randomBytes(2_000_000) }, src.env);
    await buildImage(`${repo}:c`, `FROM ${base}\nCOPY s /s\nCOPY c /c\n`, { s: shared, c: randomBytes(2_500_000) }, src.env);
    // a volume with several owners and modes, a hardlink, a symlink, an xattr and a 100 MB sparse file
    await docker(['volume', 'create', volume], { env: src.env });
    const mount = (await docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', volume], { env: src.env })).stdout.trim();
    mkdirSync(join(mount, 'etc/app'), { recursive: true });
    writeFileSync(join(mount, 'etc/app/config'), 'port=5432\n');
    chownSync(join(mount, 'etc/app/config'), 999, 999);
    chmodSync(join(mount, 'etc/app/config'), 0o640);
    chownSync(join(mount, 'etc/app'), 1000, 1000);
    chmodSync(join(mount, 'etc/app'), 0o750);
    writeFileSync(join(mount, 'data.bin'), randomBytes(300_000));
    chownSync(join(mount, 'data.bin'), 1234, 5678);
    chmodSync(join(mount, 'data.bin'), 0o4755);
    linkSync(join(mount, 'data.bin'), join(mount, 'etc/hardlink.bin'));
    symlinkSync('etc/app/config', join(mount, 'config-link'));
    writeFileSync(join(mount, 'tagged'), 'has an xattr\n');
    assert.equal(spawnSync('setfattr', ['-n', 'user.stowage', '-v', 'kept?', join(mount, 'tagged')]).status, 0, 'setfattr on the source volume');
    const sparse = join(mount, 'sparse.img');
    writeFileSync(sparse, '');
    truncateSync(sparse, 100 * 1024 * 1024);
    const fd = openSync(sparse, 'r+');
    writeSync(fd, Buffer.from('middle'), 0, 6, 50 * 1024 * 1024);
    closeSync(fd);
    srcImages = await imagesOf(src.env);
    assert.ok([...srcImages.values()].some((i) => i.tags.length === 0), 'the fixture has an untagged image');
  });

  after(async () => {
    const problems: string[] = [];
    for (const d of [src, dst]) await d.destroy().catch((e: Error) => problems.push(e.message));
    rmSync(work, { recursive: true, force: true });
    assert.deepEqual(problems, []);
  });

  it('export writes each blob once, every blob hashing to its name, and docker load takes the store as it is', async () => {
    const r = await cli(src, ['--json', 'migrate', 'export', store]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { result: { via: string; images: { id: string }[]; volumes: { name: string }[]; notMigrated: { kind: string }[] } };
    assert.deepEqual(schemaValidator('migrate.schema.json')(doc), []);
    assert.equal(doc.result.via, 'layer-store', 'a local overlay2 engine: layers rebuilt from its layer store, not docker save');
    assert.deepEqual(doc.result.images.map((i) => i.id).sort(), [...srcImages.keys()].sort());
    assert.deepEqual(doc.result.volumes.map((v) => v.name), [volume]);
    assert.ok(!doc.result.notMigrated.some((n) => n.kind === 'volume-xattrs' || n.kind === 'sparse-files'), 'a local volume keeps its xattrs and holes');
    // sha256sum, not stowage, hashes every blob
    const blobs = join(store, 'blobs/sha256');
    const sums = spawnSync('sh', ['-c', 'sha256sum *'], { cwd: blobs, encoding: 'utf8' }).stdout;
    const files = readdirSync(blobs);
    assert.ok(files.length > 0);
    for (const line of lines(sums)) {
      const [sum, name] = line.split(/\s+/);
      assert.equal(sum, name, `blob ${name} hashes to its name`);
    }
    assert.ok(!files.some((f) => f.startsWith('.')), 'no temporary left');
    // each diff ID once, however many images share it
    const diffIds = new Set([...srcImages.values()].flatMap((i) => i.layers));
    for (const d of diffIds) assert.ok(files.includes(d.slice(7)), `layer ${d} in the store`);
    const manifest = JSON.parse(readFileSync(join(store, 'stowage-migrate.json'), 'utf8')) as { blobs: { digest: string; size: number; kind: string }[] };
    assert.equal(manifest.blobs.filter((b) => b.kind === 'layer').length, diffIds.size);
    for (const b of manifest.blobs) assert.equal(statSync(join(blobs, b.digest.slice(7))).size, b.size);
    // Docker's own load reads the directory as a docker-archive: same IDs, same diff IDs, same tags
    const tar = spawnSync('tar', ['-C', store, '-cf', '-', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    await docker(['load', '-q'], { env: dst.env, input: tar.stdout });
    const loaded = await imagesOf(dst.env);
    for (const [id, image] of srcImages) {
      assert.deepEqual(loaded.get(id)?.layers, image.layers, `docker load of the store gives ${id}`);
      for (const t of image.tags) assert.ok(loaded.get(id)!.tags.includes(t), `${t} loaded`);
    }
    await wipeTarget();
  });

  it('import makes the target hold the same images, tags and volume, and verify finds them equal', async () => {
    const r = await cli(dst, ['--json', 'migrate', 'import', store]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(schemaValidator('migrate.schema.json')(JSON.parse(r.stdout)), []);
    assert.deepEqual(await imagesOf(dst.env), srcImages);
    const base = [...srcImages].find(([, i]) => i.tags.includes(`${repo}:b`))![0];
    assert.equal(await volumeListing(dst.env, volume, base), await volumeListing(src.env, volume, base));
    await assertVolumeKept(dst.env, src.env, volume);
    assert.equal(lines((await docker(['ps', '-aq'], { env: dst.env })).stdout).length, 0, 'no helper container left');
    const v = await cli(dst, ['migrate', 'verify', store]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /equal/);
    // a rerun finds everything there and sends nothing
    const again = await cli(dst, ['--json', 'migrate', 'import', store]);
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout) as { result: { sentBytes: number; applied: { totals: { done: number } } } };
    assert.equal(doc.result.sentBytes, 0);
    assert.equal(doc.result.applied.totals.done, 0);
  });

  it('an import killed with SIGKILL half-way ends, when run again, in the same state', async () => {
    await wipeTarget();
    const child = spawn(process.execPath, [STOWAGE_BIN, '-H', dst.host, 'migrate', 'import', store], { stdio: 'ignore' });
    const total = srcImages.size;
    let seen = 0;
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      seen = lines((await docker(['images', '-aq'], { env: dst.env })).stdout).length;
      if (seen >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const killedEarly = child.exitCode === null;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(killedEarly, 'the import was still running when killed');
    // half-way: not every image, or not the volume, was there when it died
    const between = await imagesOf(dst.env);
    const volumeDone = (await cli(dst, ['migrate', 'verify', store])).code === 0;
    assert.ok(between.size < total || !volumeDone, `killed before the end (${between.size} of ${total} images)`);
    const r = await cli(dst, ['migrate', 'import', store]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await imagesOf(dst.env), srcImages);
    const base = [...srcImages].find(([, i]) => i.tags.includes(`${repo}:b`))![0];
    assert.equal(await volumeListing(dst.env, volume, base), await volumeListing(src.env, volume, base));
    assert.equal(lines((await docker(['ps', '-aq'], { env: dst.env })).stdout).length, 0, 'no helper container left');
    assert.equal((await cli(dst, ['migrate', 'verify', store])).code, 0);
  });

  it('a flipped byte in one layer blob: verify names the blob and its images, import loads nothing', async () => {
    const image = [...srcImages].find(([, i]) => i.tags.includes(`${repo}:b`))!;
    const layer = image[1].layers[image[1].layers.length - 1]!;
    const path = join(store, 'blobs/sha256', layer.slice(7));
    const fd = openSync(path, 'r+');
    const one = Buffer.alloc(1);
    const at = Math.floor(statSync(path).size / 2);
    readSync(fd, one, 0, 1, at);
    writeSync(fd, Buffer.from([one[0]! ^ 0xff]), 0, 1, at);
    closeSync(fd);
    try {
      const v = await cli(dst, ['--json', 'migrate', 'verify', store]);
      assert.equal(v.code, 7, v.stderr);
      const doc = JSON.parse(v.stdout) as { result: { equal: boolean; differences: { code: string; subject: string; usedBy?: string[] }[] } };
      assert.equal(doc.result.equal, false);
      const bad = doc.result.differences.filter((d) => d.code === 'blob-corrupt');
      assert.deepEqual(bad.map((d) => d.subject), [layer]);
      assert.ok(bad[0]!.usedBy!.some((u) => u.includes(`${repo}:b`)), 'names the image');
      await wipeTarget();
      const r = await cli(dst, ['migrate', 'import', store]);
      assert.equal(r.code, 7, r.stderr);
      assert.match(r.stderr, new RegExp(layer.slice(7, 20)));
      assert.equal((await imagesOf(dst.env)).size, 0, 'nothing loaded');
      assert.equal(lines((await docker(['volume', 'ls', '-q'], { env: dst.env })).stdout).length, 0, 'no volume made');
    } finally {
      const fix = openSync(path, 'r+');
      writeSync(fix, one, 0, 1, at);
      closeSync(fix);
    }
  });

  it('a target filesystem too small is refused with the figures before anything is written', async () => {
    const disk = new LoopDisk(8).create();
    try {
      const into = join(disk.mountPoint, 'store');
      const r = await cli(src, ['migrate', 'export', into]);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /^stowage: .* free, the export needs about .*nothing was written$/m);
      assert.deepEqual(readdirSync(disk.mountPoint).filter((f) => f !== 'lost+found'), [], 'nothing left, not even the store directory the export made');
    } finally {
      disk.destroy();
    }
  });

  it('--from/--to copies every image, tag and the volume straight across, each layer once; a rerun sends nothing', async () => {
    await wipeTarget();
    const r = await runCli(['--json', '--progress', 'plain', 'migrate', '--from', src.host, '--to', dst.host], { timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout) as { result: { via: string; sentBytes: number; applied: { results: { id: string; status: string; bytes?: number }[]; totals: { done: number } } } };
    assert.deepEqual(schemaValidator('migrate.schema.json')(doc), []);
    assert.equal(doc.result.via, 'layer-store');
    assert.match(r.stderr, /copying/, 'progress on stderr');
    assert.deepEqual(await imagesOf(dst.env), srcImages);
    await assertVolumeKept(dst.env, src.env, volume);
    const base = [...srcImages].find(([, i]) => i.tags.includes(`${repo}:b`))![0];
    assert.equal(await volumeListing(dst.env, volume, base), await volumeListing(src.env, volume, base));
    assert.equal(lines((await docker(['ps', '-aq'], { env: dst.env })).stdout).length, 0, 'no helper container left');
    assert.equal(lines((await docker(['ps', '-aq'], { env: src.env })).stdout).length, 0, 'no helper container left on the source');
    // each layer crossed once: the loads carried exactly the configs and the unique layer tars (sizes as docker save wrote them)
    const uniqueLayers = new Set([...srcImages.values()].flatMap((i) => i.layers));
    const expected = [...uniqueLayers, ...srcImages.keys()].reduce((n, d) => n + statSync(join(store, 'blobs/sha256', d.slice(7))).size, 0);
    const loaded = doc.result.applied.results.filter((a) => a.id.startsWith('load:')).reduce((n, a) => n + (a.bytes ?? 0), 0);
    assert.equal(loaded, expected, 'the loads sent the configs and each unique layer tar once');
    const again = await runCli(['--json', 'migrate', '--from', src.host, '--to', dst.host], { timeoutMs: 600_000 });
    assert.equal(again.code, 0, again.stderr);
    const doc2 = JSON.parse(again.stdout) as { result: { sentBytes: number; applied: { totals: { done: number } } } };
    assert.equal(doc2.result.sentBytes, 0);
    assert.equal(doc2.result.applied.totals.done, 0);
  });

  it('--from/--to --containers carries a container\'s writable layer as an image it can be recreated from', async () => {
    const base = [...srcImages].find(([, i]) => i.tags.includes(`${repo}:b`))![0];
    const name = uniqueName('stowage-migrate-ctr').toLowerCase();
    const id = (await docker(['create', '--name', name, '--network', 'none', base, 'cat', '/written-in-the-container'], { env: src.env })).stdout.trim();
    const file = join(work, 'written-in-the-container');
    writeFileSync(file, 'only in the writable layer\n');
    const tag = `stowage-migrate/${name}:${id.slice(0, 12)}`;
    try {
      await docker(['cp', file, `${name}:/written-in-the-container`], { env: src.env });
      const r = await runCli(['--json', 'migrate', '--from', src.host, '--to', dst.host, '--no-volumes', '--containers'], { timeoutMs: 600_000 });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const doc = JSON.parse(r.stdout) as { result: { committed: { container: string; tag: string }[] } };
      assert.deepEqual(schemaValidator('migrate.schema.json')(doc), []);
      assert.deepEqual(doc.result.committed.map((c) => [c.container, c.tag]), [[name, tag]]);
      const run = await docker(['run', '--rm', '--network', 'none', tag], { env: dst.env });
      assert.equal(run.stdout, 'only in the writable layer\n', 'the container recreated on the target from the committed image sees its file');
    } finally {
      await docker(['rm', '-f', name], { env: src.env });
      for (const env of [src.env, dst.env]) await docker(['rmi', tag], { env, allowFailure: true });
    }
  });

  it('--from/--to into a data-root too small is refused with the figures before anything is written', async () => {
    const disk = new LoopDisk(64).create();
    const small = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'docker') });
    try {
      await small.start();
      const r = await runCli(['migrate', '--from', src.host, '--to', small.host], { timeoutMs: 600_000 });
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /^stowage: the target's data-root .* free, the copy needs about .*nothing was written$/m);
      assert.equal((await imagesOf(small.env)).size, 0, 'no image loaded');
      assert.equal(lines((await docker(['volume', 'ls', '-q'], { env: small.env })).stdout).length, 0, 'no volume made');
    } finally {
      await small.destroy();
      disk.destroy();
    }
  });

  it('bad input: one line and a documented exit code', async () => {
    const missing = await cli(dst, ['migrate', 'import', join(work, 'nope')]);
    assert.equal(missing.code, 4);
    const notStore = join(work, 'not-a-store');
    mkdirSync(notStore);
    writeFileSync(join(notStore, 'x'), 'x');
    const exported = await cli(src, ['migrate', 'export', notStore]);
    assert.equal(exported.code, 4);
    assert.deepEqual(readdirSync(notStore), ['x'], 'nothing written');
    const down = await runCli(['-H', `unix://${join(work, 'no-engine.sock')}`, 'migrate', 'verify', store]);
    assert.equal(down.code, 3);
    for (const r of [missing, exported, down]) {
      assert.match(r.stderr, /^stowage: .+\n/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
