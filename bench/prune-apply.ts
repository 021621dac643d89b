/**
 * prune's apply beside the equivalent `docker ... prune` commands in sequence (issue 14's target: apply no
 * slower), on one private engine in the same run. Each round fills the engine with the same state (CONTAINERS
 * stopped containers, DANGLING untagged images of one shared layer) twice: once for `stowage prune --apply`
 * with its default phases (stopped containers, dangling images, build cache older than 24 h), once for
 * `docker container prune -f && docker image prune -f && docker builder prune -f --filter until=24h`, the
 * order alternating between rounds. After each, the engine must have no container and no dangling image left
 * (checked with `docker ps -a` and `docker images -f dangling=true`), so both did the same work.
 * Run: npm run build && node dist/bench/prune-apply.js [CONTAINERS=300] [DANGLING=60] [ROUNDS=3]   (root, dockerd, busybox-static)
 */
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { busyboxRootfs, DOCKER_CLI } from '../test/support/docker-cli.js';
import { PrivateDaemon, processesMentioning } from '../test/support/private-daemon.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { noteBundleState } from './support/bundle-state.js';
import { engineApi, loadAverage, median, timed, type Timed } from './support/engine-timing.js';

requirePrerequisites('bench/prune-apply', ['root', 'engine', NEEDS.dockerd, NEEDS.ip, NEEDS.busybox, NEEDS.tar]);
noteBundleState();

const CONTAINERS = Number(process.argv[2] ?? 300);
const DANGLING = Number(process.argv[3] ?? 60);
const ROUNDS = Number(process.argv[4] ?? 3);
const bin = fileURLToPath(new URL('../../bin/stowage', import.meta.url));

const daemon = new PrivateDaemon();
const rootfs = busyboxRootfs();
try {
  await daemon.start();
  const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 ** 2 }).stdout;
  // one tagged image the containers run, kept by both ways (no container uses it once they are gone, but it
  // is tagged, and neither way removes tagged images by default)
  await engineApi(daemon.socket, 'POST', '/images/create?fromSrc=-&repo=stowage-bench/prune-apply&tag=1', tar, 'application/x-tar');
  let seeded = 0;
  const fill = async () => {
    for (let i = 0; i < DANGLING; i += 8) {
      await Promise.all(Array.from({ length: Math.min(8, DANGLING - i) }, () => {
        seeded += 1;
        // no repo: an untagged (dangling) image; the message makes each config, and so each ID, its own
        return engineApi(daemon.socket, 'POST', `/images/create?fromSrc=-&message=dangling-${seeded}`, tar, 'application/x-tar');
      }));
    }
    for (let i = 0; i < CONTAINERS; i += 16) {
      await Promise.all(Array.from({ length: Math.min(16, CONTAINERS - i) }, () =>
        engineApi(daemon.socket, 'POST', '/containers/create', Buffer.from(JSON.stringify({ Image: 'stowage-bench/prune-apply:1', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } })), 'application/json')));
    }
  };
  const left = () => {
    const count = (args: string[]) => spawnSync(DOCKER_CLI, args, { env: { ...process.env, ...daemon.env }, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    return { containers: count(['ps', '-aq']), dangling: count(['images', '-q', '-f', 'dangling=true']) };
  };
  const enginePids = processesMentioning(daemon.dir);
  const rows: Record<'stowage' | 'docker', Timed[]> = { stowage: [], docker: [] };
  const ways = {
    stowage: () => timed(process.execPath, [bin, '--host', daemon.host, '--json', '--quiet', 'prune', '--apply'], {}, enginePids),
    docker: () => timed('/bin/sh', ['-c', `${DOCKER_CLI} container prune -f >/dev/null && ${DOCKER_CLI} image prune -f >/dev/null && ${DOCKER_CLI} builder prune -f --filter until=24h >/dev/null`], daemon.env, enginePids),
  };
  for (let r = 0; r < ROUNDS; r++) {
    const order: (keyof typeof ways)[] = r % 2 === 0 ? ['stowage', 'docker'] : ['docker', 'stowage'];
    for (const way of order) {
      await fill();
      const t = ways[way]();
      const rest = left();
      if (rest.containers || rest.dangling) throw new Error(`round ${r + 1}, ${way}: ${rest.containers} containers and ${rest.dangling} dangling images left`);
      rows[way].push(t);
      console.log(`round ${r + 1} ${way}: ${t.wallMs.toFixed(0)} ms wall, ${t.cpuMs} ms own CPU, ${t.engineCpuMs} ms engine CPU; load ${loadAverage()}`);
    }
  }
  const m = (k: keyof typeof rows, f: 'wallMs' | 'cpuMs' | 'engineCpuMs') => median(rows[k].map((t) => t[f]));
  const ratio = m('stowage', 'wallMs') / m('docker', 'wallMs');
  console.log(`${CONTAINERS} stopped containers and ${DANGLING} dangling images removed, medians of ${ROUNDS}: wall / own CPU / engine CPU (ms)`);
  console.log(`  stowage prune --apply:                                  ${m('stowage', 'wallMs').toFixed(0)} / ${m('stowage', 'cpuMs')} / ${m('stowage', 'engineCpuMs')}`);
  console.log(`  docker container prune, image prune, builder prune:     ${m('docker', 'wallMs').toFixed(0)} / ${m('docker', 'cpuMs')} / ${m('docker', 'engineCpuMs')}`);
  console.log(`ratio stowage/docker wall ${ratio.toFixed(2)} (target <= 1: ${ratio <= 1 ? 'met' : 'not met'}); load average ${loadAverage()}`);
} finally {
  rmSync(rootfs, { recursive: true, force: true });
  await daemon.destroy();
}
