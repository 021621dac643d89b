/**
 * stowage prune on a private engine (issue 14), with Docker as the oracle: a scene of images sharing layers, a
 * running container, stopped containers, a labelled image, dangling images, volumes, networks and build cache.
 * The plan's lists must be what the docker CLI reports, a plan-only run must change nothing, the apply must
 * leave exactly what is in use or protected, its bytes must be what the engine's own disk usage lost, and a
 * container started on a planned image between plan and apply must keep that image.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { capabilityContext } from '../../src/context.js';
import { applyPrunePlan, planPruneOnEngine, type PruneResult } from '../../src/prune/prune.js';
import type { PruneOptions } from '../../src/prune/prune-options.js';
import { buildCacheIds } from '../support/build-cache.js';
import { buildImage, docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { runCli } from '../support/run-cli.js';
import { systemDf as engineDf } from '../support/engine-df.js';

interface RawDf { LayersSize: number; Images: { Id: string; Size: number; SharedSize: number }[]; BuildCache: { ID: string; Size: number; Shared: boolean; InUse: boolean }[] | null }

const systemDf = (socket: string) => engineDf<RawDf>(socket);

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).sort();

describe('stowage prune on a private engine', () => {
  const daemon = new PrivateDaemon();
  const env = () => daemon.env;
  const d = (args: string[]) => docker(args, { env: env() });
  const ids = async (args: string[]) => lines((await d(args)).stdout);
  const name = (prefix: string) => uniqueName(`stowage-prune-${prefix}`).toLowerCase();
  const scene = {
    used: name('used'), stopped: name('stopped'), pairX: '', pairY: '', prot: name('prot'), dang: name('dang'), race: name('race'),
    runner: name('runner'), exited: name('exited'), netUser: name('netuser'), raceContainer: name('racer'),
    named: name('vol'), netUnused: name('net-unused'), netStopped: name('net-stopped'), pairRepo: name('pair'),
  };
  const inventory = async () => {
    const [containers, images, tags, volumes, networks, cache] = await Promise.all([
      ids(['ps', '-aq', '--no-trunc']), ids(['images', '-aq', '--no-trunc']), ids(['images', '--format', '{{.Repository}}:{{.Tag}}']),
      ids(['volume', 'ls', '-q']), ids(['network', 'ls', '-q', '--no-trunc']), buildCacheIds(env()),
    ]);
    return { containers, images, tags, volumes, networks, buildCache: [...cache].sort() };
  };

  before(async () => {
    await daemon.start();
    const base = await ensureBusybox(env());
    const shared = randomBytes(400_000);
    scene.pairX = `${scene.pairRepo}:x`;
    scene.pairY = `${scene.pairRepo}:y`;
    await buildImage(scene.used, `FROM ${base}\nCOPY a /a\n`, { a: randomBytes(300_000) }, env());
    await buildImage(scene.stopped, `FROM ${base}\nCOPY b /b\n`, { b: randomBytes(200_000) }, env());
    await buildImage(scene.pairX, `FROM ${base}\nCOPY s /s\nCOPY x /x\n`, { s: shared, x: randomBytes(50_000) }, env());
    await buildImage(scene.pairY, `FROM ${base}\nCOPY s /s\nCOPY y /y\n`, { s: shared, y: randomBytes(60_000) }, env());
    await buildImage(scene.prot, `FROM ${base}\nLABEL keep=true\nCOPY p /p\n`, { p: randomBytes(100_000) }, env());
    await buildImage(scene.race, `FROM ${base}\nCOPY r /r\n`, { r: randomBytes(120_000) }, env());
    // two builds to one tag: the first becomes dangling
    await buildImage(scene.dang, `FROM ${base}\nCOPY d /d\n`, { d: randomBytes(150_000) }, env());
    await buildImage(scene.dang, `FROM ${base}\nCOPY d /d\n`, { d: randomBytes(160_000) }, env());
    await d(['volume', 'create', scene.named]);
    await d(['network', 'create', scene.netUnused]);
    await d(['network', 'create', scene.netStopped]);
    await d(['run', '-d', '--name', scene.runner, '--network', 'none', scene.used, 'sleep', '600']);
    // stopped, with an anonymous volume: both go, the volume with --volumes anonymous
    await d(['run', '--name', scene.exited, '--network', 'none', '-v', '/data', scene.stopped, 'sh', '-c', 'echo x > /data/x; dd if=/dev/zero of=/junk bs=1000 count=50 2>/dev/null']);
    await d(['create', '--name', scene.netUser, '--network', scene.netStopped, scene.stopped, 'true']);
  });
  after(() => daemon.destroy());

  const flags = ['--images', 'unused', '--volumes', 'anonymous', '--networks', '--keep-label', 'keep=true', '--build-cache-until', '0'];

  it('a plan-only run changes nothing, and says so', { timeout: 60_000 }, async () => {
    const before = await inventory();
    const text = await runCli(['-H', daemon.host, 'prune', ...flags]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^prune: plan \(nothing changed yet\)/);
    assert.match(text.stdout, /Nothing was removed: run again with --apply/);
    assert.deepEqual(await inventory(), before);
  });

  it('plans what docker reports, with the bytes the engine counts and every kept object with why', { timeout: 60_000 }, async () => {
    const json = await runCli(['--json', '-H', daemon.host, 'prune', ...flags]);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { result: PruneResult };
    assert.deepEqual(schemaValidator('prune.schema.json')(doc), [], 'follows schema/prune.schema.json');
    const plan = doc.result.plan;
    const of = (group: string) => plan.actions.filter((a) => a.group === group).map((a) => a.target).sort();
    const keptOf = (group: string) => plan.refusals.filter((r) => r.group === group);

    // containers: every stopped one (docker's status filter), the running one kept as in use
    const stopped = lines((await d(['ps', '-aq', '--no-trunc', '--filter', 'status=exited', '--filter', 'status=created'])).stdout);
    assert.deepEqual(of('containers'), stopped);
    assert.deepEqual(keptOf('containers').map((r) => [r.target, r.reason]), [[scene.runner, 'in-use']]);

    // dangling images: docker's dangling filter
    assert.deepEqual(of('dangling-images'), await ids(['images', '-q', '--no-trunc', '--filter', 'dangling=true']));

    // unused images: every tagged image but the running container's and the labelled one
    const imageId = async (ref: string) => (await d(['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim();
    const expectUnused = await Promise.all([scene.stopped, scene.pairX, scene.pairY, scene.race, scene.dang, 'stowage-test/busybox:latest'].map(imageId));
    assert.deepEqual(of('unused-images'), [...expectUnused].sort());
    const keptImages = keptOf('unused-images');
    assert.match(keptImages.find((r) => r.target.startsWith(`${scene.used}:latest`))!.detail, new RegExp(`^used by container ${scene.runner} \\(running\\)$`));
    assert.equal(keptImages.find((r) => r.target.startsWith(`${scene.prot}:latest`))!.detail, 'label keep=true');
    const stoppedImage = plan.actions.find((a) => a.target === expectUnused[0])!;
    assert.match(stoppedImage.reason, new RegExp(`containers? ${scene.exited}, ${scene.netUser}|${scene.netUser}, ${scene.exited}`), 'freed by its containers going first');

    // bytes: an image's layers that a kept image (busybox's base under used and prot) holds are not counted;
    // the plan's image total is what the engine's LayersSize loses when they all go (checked after apply)
    const df = await systemDf(daemon.socket);
    const dfImage = (id: string) => df.Images.find((i) => i.Id === id)!;
    const pairX = plan.actions.find((a) => a.target === expectUnused[1])!;
    const pairY = plan.actions.find((a) => a.target === expectUnused[2])!;
    // the 400 kB layer both hold is freed once: credited to one of them, never both
    const uniqueX = dfImage(pairX.target).Size - dfImage(pairX.target).SharedSize;
    const uniqueY = dfImage(pairY.target).Size - dfImage(pairY.target).SharedSize;
    assert.ok(uniqueX >= 50_000 && uniqueY >= 60_000, 'docker counts each pair image\'s own layer as unique');
    assert.ok(Math.abs(pairX.bytes + pairY.bytes - (uniqueX + uniqueY + 400_000)) <= 4096, `pair bytes ${pairX.bytes} + ${pairY.bytes} = unique ${uniqueX} + ${uniqueY} + the shared 400 kB`);
    const busybox = plan.actions.find((a) => a.target === expectUnused[5])!;
    assert.equal(busybox.bytes, 0, 'busybox\'s only layer stays under the kept images');

    // volumes: the stopped container's anonymous volume goes (it goes first), the named one stays
    const anon = (await d(['container', 'inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', scene.exited])).stdout.trim();
    assert.deepEqual(of('volumes'), [anon]);
    assert.deepEqual(keptOf('volumes').map((r) => [r.target, r.detail]), [[scene.named, 'named volume (--volumes all removes named volumes)']]);
    // networks: both custom networks (the one a stopped container uses is freed by its container going)
    const netId = async (n: string) => (await d(['network', 'inspect', '-f', '{{.Id}}', n])).stdout.trim();
    assert.deepEqual(of('networks'), (await Promise.all([scene.netUnused, scene.netStopped].map(netId))).sort());
    // build cache: every record no build uses, by the engine's own list
    const records = (df.BuildCache ?? []).filter((r) => !r.InUse).map((r) => r.ID).sort();
    assert.ok(records.length > 0, 'the builds left cache');
    assert.deepEqual(of('build-cache'), records);

    // with the default 24 h, the builds' cache stays, and with it the image layers its Shared records hold
    const held = (await planPruneOnEngine({ images: 'unused', protect: { labels: [{ key: 'keep', value: 'true' }] } }, capabilityContext({ connect: { host: daemon.host } }))).result;
    const sharedBytes = (df.BuildCache ?? []).filter((r) => r.Shared).reduce((n, r) => n + r.Size, 0);
    const imageBytes = held.plan.actions.filter((a) => a.kind === 'remove-image').reduce((n, a) => n + a.bytes, 0);
    assert.ok(sharedBytes > 0, 'BuildKit\'s records share the layers it built');
    assert.equal(held.imageBytesHeldByCache, Math.min(imageBytes, sharedBytes));
    assert.equal(doc.result.imageBytesHeldByCache, 0, 'with --build-cache-until 0 that cache goes too');

    // a space target, against GNU df's figures for the data-root: 100% free can never be reached (every candidate
    // goes, oldest use first), 0% free always is (none goes, each listed as spared by the target)
    const rootDir = (await d(['info', '-f', '{{.DockerRootDir}}'])).stdout.trim();
    const gnuDf = spawnSync('df', ['-B1', '--output=size', rootDir], { encoding: 'utf8' }).stdout.trim().split('\n')[1]!.trim();
    const context = capabilityContext({ connect: { host: daemon.host } });
    const all = (await planPruneOnEngine({ images: 'unused', protect: { labels: [{ key: 'keep', value: 'true' }] }, untilFree: 1 }, context)).result;
    assert.equal(all.spaceTarget!.path, rootDir);
    assert.equal(all.spaceTarget!.totalBytes, Number(gnuDf), 'the filesystem size df reports');
    const everyImage = [...of('dangling-images'), ...of('unused-images')].sort();
    assert.deepEqual(all.plan.actions.filter((a) => a.kind === 'remove-image').map((a) => a.target).sort(), everyImage);
    const none = (await planPruneOnEngine({ images: 'unused', protect: { labels: [{ key: 'keep', value: 'true' }] }, untilFree: 0 }, context)).result;
    assert.equal(none.spaceTarget!.needBytes, 0);
    assert.equal(none.plan.actions.filter((a) => a.kind === 'remove-image').length, 0);
    assert.equal(none.plan.refusals.filter((r) => r.detail.startsWith('--until-free 0% is reached without it')).length, everyImage.length);
  });

  it('applies on a re-check: a container started on a planned image since the plan keeps it, and the bytes are what the engine lost', { timeout: 120_000 }, async () => {
    const options: PruneOptions = {
      images: 'unused', volumes: 'anonymous', networks: true, buildCacheUntilMs: 0, protect: { labels: [{ key: 'keep', value: 'true' }] },
    };
    const context = capabilityContext({ connect: { host: daemon.host } });
    const planned = await planPruneOnEngine(options, context);
    const raceId = (await d(['image', 'inspect', '-f', '{{.Id}}', scene.race])).stdout.trim();
    assert.ok(planned.result.plan.actions.some((a) => a.target === raceId), 'the race image is planned');
    // between plan and apply: a container starts on the planned image
    await d(['run', '-d', '--name', scene.raceContainer, '--network', 'none', scene.race, 'sleep', '600']);
    const dfBefore = await systemDf(daemon.socket);
    const result = await applyPrunePlan(planned, options, context);
    const dfAfter = await systemDf(daemon.socket);
    const race = result.applied!.results.find((r) => r.target === raceId)!;
    assert.equal(race.status, 'skipped');
    assert.match(race.reason!, new RegExp(`used by container ${scene.raceContainer} since the plan`));
    assert.equal((await d(['image', 'inspect', '-f', '{{.Id}}', scene.race])).stdout.trim(), raceId, 'docker still has it');
    assert.equal(result.applied!.totals.failed, 0, JSON.stringify(result.applied!.results.filter((r) => r.status === 'failed')));

    // everything else planned is gone, by docker's own inspect
    for (const r of result.applied!.results.filter((x) => x.status === 'done')) {
      const kind = { 'remove-container': 'container', 'remove-image': 'image', 'remove-volume': 'volume', 'remove-network': 'network' }[r.kind];
      if (!kind) continue;
      const gone = await docker([kind, 'inspect', r.target], { env: env(), allowFailure: true });
      assert.notEqual(gone.code, 0, `${r.kind} ${r.target} is gone`);
    }
    const left = await buildCacheIds(env());
    for (const r of result.applied!.results.filter((x) => x.kind === 'remove-build-cache' && x.status === 'done')) assert.ok(!left.has(r.target), `cache ${r.target} is gone`);
    // what is in use or protected is all there
    for (const ref of [scene.used, scene.prot, scene.race]) assert.equal((await docker(['image', 'inspect', ref], { env: env(), allowFailure: true })).code, 0, `${ref} kept`);
    assert.equal((await d(['inspect', '-f', '{{.State.Running}}', scene.runner])).stdout.trim(), 'true');
    assert.equal((await docker(['volume', 'inspect', scene.named], { env: env(), allowFailure: true })).code, 0, 'the named volume stays');

    // bytes: the image bytes done are what the engine's layer total lost; the whole within 5% of df's loss
    const imageDone = result.applied!.results.filter((r) => r.kind === 'remove-image' && r.status === 'done').reduce((n, r) => n + r.bytes, 0);
    const layersLost = dfBefore.LayersSize - dfAfter.LayersSize;
    assert.ok(Math.abs(imageDone - layersLost) <= 0.05 * layersLost, `images: predicted ${imageDone}, the engine's LayersSize lost ${layersLost}`);
    const m = result.measured!;
    assert.ok(Math.abs(result.applied!.totals.bytes - m.engine.freed.total) <= 0.05 * m.engine.freed.total,
      `all: done ${result.applied!.totals.bytes}, docker system df lost ${m.engine.freed.total}`);
    assert.ok('freeBefore' in m.filesystem, 'the data-root is local: its free space is measured');
    process.stderr.write(`prune apply: predicted ${result.applied!.totals.bytes} B, system df ${m.engine.freed.total} B, filesystem ${'freed' in m.filesystem ? m.filesystem.freed : '?'} B, plan ${result.planMs} ms, apply ${result.applyMs} ms\n`);
  });

  it('removes named volumes only with --yes (refused, exit 5, without), and rejects bad input with exit 2 or 3', { timeout: 60_000 }, async () => {
    const refused = await runCli(['-H', daemon.host, 'prune', '--volumes', 'all', '--apply']);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /^stowage: not removing 1 named volume without a confirmation; nothing was removed$/m);
    assert.equal((await docker(['volume', 'inspect', scene.named], { env: env(), allowFailure: true })).code, 0, 'still there');
    const yes = await runCli(['--json', '-H', daemon.host, 'prune', '--volumes', 'all', '--skip', 'containers,dangling-images,build-cache', '--apply', '--yes']);
    assert.equal(yes.code, 0, yes.stderr);
    const doc = JSON.parse(yes.stdout) as { result: PruneResult };
    assert.deepEqual(schemaValidator('prune.schema.json')(doc), []);
    assert.deepEqual(doc.result.applied!.results.map((r) => [r.target, r.status]), [[scene.named, 'done']]);
    assert.notEqual((await docker(['volume', 'inspect', scene.named], { env: env(), allowFailure: true })).code, 0, 'gone');

    // in this process, as a user's shell would see it: exit code and stderr
    const bad = async (args: string[], code: number, message: RegExp) => {
      const r = { code: 0, stderr: '' };
      r.code = await main(args, { stdout: { write: () => true }, stderr: { write: (t: string) => { r.stderr += t; } }, env: { NO_COLOR: '1' } });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    };
    await bad(['-H', daemon.host, 'prune', '--skip', 'caches'], 2, /^stowage: --skip takes containers, dangling-images, build-cache, unused-images, volumes, networks, not "caches"$/m);
    await bad(['-H', daemon.host, 'prune', '--keep-since', 'a week'], 2, /^stowage: --keep-since takes a duration/m);
    await bad(['-H', daemon.host, 'prune', '--keep-recent', '-1'], 2, /^stowage: --keep-recent takes a whole number >= 0, not "-1"$/m);
    await bad(['-H', daemon.host, 'prune', '--images', 'all'], 2, /^stowage: --images takes none, dangling, unused, not "all"$/m);
    await bad(['-H', daemon.host, 'prune', '--until-free', '120%'], 2, /^stowage: --until-free takes a share from 0 to 1 or a percentage \(0\.95, 95%\), not "120%"$/m);
    await bad(['-H', daemon.host, 'prune', '--until-free', '20%', '--until-used', '80%'], 2, /^stowage: --until-free and --until-used are one target: give one of them$/m);
    await bad(['-H', 'unix:///nonexistent/stowage.sock', 'prune'], 3, /^stowage: no Docker socket at \/nonexistent\/stowage\.sock$/m);
  });
});
