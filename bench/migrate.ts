/**
 * stowage migrate export + import, and `migrate --from --to` (engine to engine, no directory), against
 * `docker save ALL | docker -H TARGET load` of the same images, in the same run, between two private engines:
 * wall time, bytes written to disk, and stowage's peak RSS (GNU time). Images
 * share one base layer, so the per-image way (atomic's `docker save` per image, then `docker load` each)
 * writes that base once per image, and the store once. The floor: `docker load` alone of the same images from
 * an archive saved before the round (the target engine's own work, which any copy through its API pays).
 * `node dist/bench/migrate.js [IMAGES] [BASE_MB] [OWN_MB] [ROUNDS]`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOCKER_CLI, busyboxRootfs } from '../test/support/docker-cli.js';
import { PrivateDaemon } from '../test/support/private-daemon.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { noteBundleState } from './support/bundle-state.js';

const bin = fileURLToPath(new URL('../../bin/stowage', import.meta.url));
const [images = 6, baseMb = 200, ownMb = 20, rounds = 3] = process.argv.slice(2).map(Number);

function dockerOn(d: PrivateDaemon, args: string[], input?: Buffer): string {
  return execFileSync(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: d.host }, input, maxBuffer: 1 << 30, encoding: 'utf8' });
}
function sh(d: PrivateDaemon | undefined, script: string): number {
  const t = performance.now();
  const r = spawnSync('sh', ['-c', script], { env: { ...process.env, ...(d ? { DOCKER_HOST: d.host } : {}) }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
  return performance.now() - t;
}
function du(path: string): number {
  let n = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) n += e.isDirectory() ? du(join(path, e.name)) : statSync(join(path, e.name)).size;
  return n;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  requirePrerequisites('bench/migrate', ['root', NEEDS.dockerd, NEEDS.ip, NEEDS.busybox, { file: '/usr/bin/time', install: 'apt-get install time' }]);
  noteBundleState();
  const src = new PrivateDaemon();
  const dst = new PrivateDaemon();
  const work = mkdtempSync(join(tmpdir(), 'stowage-bench-migrate-'));
  try {
    await Promise.all([src.start(), dst.start()]);
    const rootfs = busyboxRootfs();
    execFileSync('sh', ['-c', `head -c ${baseMb}000000 /dev/urandom > ${rootfs}/base.bin && tar -C ${rootfs} -c . | DOCKER_HOST=${src.host} ${DOCKER_CLI} import -c 'CMD ["/bin/sh"]' - bench/base:1`]);
    rmSync(rootfs, { recursive: true, force: true });
    for (let i = 0; i < images; i++) {
      const ctx = join(work, `ctx${i}`);
      mkdirSync(ctx);
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM bench/base:1\nCOPY own.bin /own.bin\n');
      execFileSync('sh', ['-c', `head -c ${ownMb}000000 /dev/urandom > ${ctx}/own.bin`]);
      dockerOn(src, ['build', '-q', '-t', `bench/app${i}:1`, ctx]);
    }
    const ids = dockerOn(src, ['images', '-q', '--no-trunc']).trim().split('\n');
    const wipe = () => sh(dst, 'ids=$(docker images -aq); [ -z "$ids" ] || docker rmi -f $ids >/dev/null; docker volume prune -f >/dev/null');
    const pipe: number[] = []; const perImage: number[] = []; const stow: number[] = []; const stowExport: number[] = [];
    const copy: number[] = []; const loadAlone: number[] = [];
    const saved = join(work, 'all.tar');
    dockerOn(src, ['save', '-o', saved, ...ids]);
    let perImageBytes = 0; let storeBytes = 0; let peakKb = 0; let copyPeakKb = 0;
    const loads: string[] = [readFileSync('/proc/loadavg', 'utf8').trim()];
    for (let r = 0; r < rounds; r++) {
      wipe();
      pipe.push(sh(undefined, `DOCKER_HOST=${src.host} ${DOCKER_CLI} save ${ids.join(' ')} | DOCKER_HOST=${dst.host} ${DOCKER_CLI} load -q`));
      wipe();
      loadAlone.push(sh(dst, `${DOCKER_CLI} load -q -i ${saved}`));
      wipe();
      const saves = join(work, `saves${r}`);
      mkdirSync(saves);
      perImage.push(sh(undefined, ids.map((id, i) => `DOCKER_HOST=${src.host} ${DOCKER_CLI} save -o ${saves}/${i}.tar ${id}`).join(' && ')
        + ' && ' + ids.map((_, i) => `DOCKER_HOST=${dst.host} ${DOCKER_CLI} load -q -i ${saves}/${i}.tar`).join(' && ')));
      perImageBytes = du(saves);
      rmSync(saves, { recursive: true, force: true });
      wipe();
      const store = join(work, `store${r}`);
      const time = join(work, 'time.txt');
      const e = sh(undefined, `/usr/bin/time -f %M -o ${time} ${process.execPath} ${bin} -q -H ${src.host} migrate export --no-volumes ${store} >/dev/null`);
      peakKb = Math.max(peakKb, Number(execFileSync('tail', ['-1', time], { encoding: 'utf8' })));
      const i = sh(undefined, `/usr/bin/time -f %M -o ${time} ${process.execPath} ${bin} -q -H ${dst.host} migrate import --no-volumes ${store} >/dev/null`);
      peakKb = Math.max(peakKb, Number(execFileSync('tail', ['-1', time], { encoding: 'utf8' })));
      stowExport.push(e);
      stow.push(e + i);
      storeBytes = du(store);
      rmSync(store, { recursive: true, force: true });
      wipe();
      copy.push(sh(undefined, `/usr/bin/time -f %M -o ${time} ${process.execPath} ${bin} -q migrate --from ${src.host} --to ${dst.host} --no-volumes >/dev/null`));
      copyPeakKb = Math.max(copyPeakKb, Number(execFileSync('tail', ['-1', time], { encoding: 'utf8' })));
      // the target must hold every image afterwards, or the time means nothing
      const got = dockerOn(dst, ['images', '-aq', '--no-trunc']).trim().split('\n').filter(Boolean);
      if (!ids.every((id) => got.includes(id))) throw new Error(`--from/--to left the target without some images (${got.length} there)`);
      loads.push(readFileSync('/proc/loadavg', 'utf8').trim());
    }
    const unique = (baseMb + images * ownMb) * 1e6;
    console.log(`${images} images on one ${baseMb} MB base, ${ownMb} MB each of their own (unique ~${mb(unique)}); ${rounds} rounds, medians`);
    console.log(`docker save ALL | docker load      ${(median(pipe) / 1000).toFixed(2)} s, writes nothing in between`);
    console.log(`docker load alone, from a file      ${(median(loadAlone) / 1000).toFixed(2)} s (the target engine's own work: the floor of a copy through its API)`);
    console.log(`docker save per image, load each  ${(median(perImage) / 1000).toFixed(2)} s, ${mb(perImageBytes)} of archives`);
    console.log(`stowage export + import           ${(median(stow) / 1000).toFixed(2)} s (export ${(median(stowExport) / 1000).toFixed(2)} s), store ${mb(storeBytes)}, peak RSS ${(peakKb / 1024).toFixed(0)} MB`);
    console.log(`stowage --from --to                ${(median(copy) / 1000).toFixed(2)} s, writes nothing in between, peak RSS ${(copyPeakKb / 1024).toFixed(0)} MB`);
    console.log(`ratio: stowage / pipe ${(median(stow) / median(pipe)).toFixed(2)}, stowage / per-image ${(median(stow) / median(perImage)).toFixed(2)}; store / per-image archives ${(storeBytes / perImageBytes).toFixed(2)}`);
    console.log(`ratio: pipe / --from --to ${(median(pipe) / median(copy)).toFixed(2)}x (target >= 2), per-image / --from --to ${(median(perImage) / median(copy)).toFixed(2)}x; rounds: pipe ${pipe.map((t) => (t / 1000).toFixed(1)).join(' ')} s, --from --to ${copy.map((t) => (t / 1000).toFixed(1)).join(' ')} s`);
    console.log(`floor: pipe / load alone ${(median(pipe) / median(loadAlone)).toFixed(2)}x (the most any copy that loads through the target's API can gain on the pipe), --from --to / load alone ${(median(copy) / median(loadAlone)).toFixed(2)}`);
    console.log(`load average (/proc/loadavg) at start and after each round: ${loads.join(' | ')}`);
  } finally {
    await Promise.all([src.destroy(), dst.destroy()]);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
