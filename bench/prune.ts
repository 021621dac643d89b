/**
 * prune's plan time beside `docker system df -v` on the same private engine in the same run (issue 14's
 * target: the plan in at most 1.5x the time of `docker system df -v`). The images are imports of one rootfs,
 * so they share their layer and prune must read every image's layers (the slow path).
 * Per command, medians of RUNS: wall time; CPU time of the command itself (its process and children, from
 * /proc/self/stat's cutime/cstime, robust on a loaded host); and the private dockerd's own CPU time while it ran
 * (the engine-side work the command caused). `stowage --version` is the floor every stowage command pays to
 * start Node; `planMs` is the plan's own time inside the process, from its JSON.
 * With STOWAGE_PRUNE_BASELINE=/path/to/other/bin/stowage (a copy of an earlier build), that stowage's plan is
 * timed too, alternating with this one's in each round: a before/after on the same engine in the same run.
 * Run: npm run build && node dist/bench/prune.js [IMAGES=500] [CONTAINERS=2000]   (needs root, dockerd, busybox-static)
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { busyboxRootfs, DOCKER_CLI } from '../test/support/docker-cli.js';
import { PrivateDaemon, processesMentioning } from '../test/support/private-daemon.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { noteBundleState } from './support/bundle-state.js';
import { engineApi as api, loadAverage, median, timed, type Timed } from './support/engine-timing.js';

requirePrerequisites('bench/prune', ['root', 'engine', NEEDS.dockerd, NEEDS.ip, NEEDS.busybox, NEEDS.tar]);
noteBundleState();

const RUNS = 5;
const IMAGES = Number(process.argv[2] ?? 500);
const CONTAINERS = Number(process.argv[3] ?? 2000);
const bin = fileURLToPath(new URL('../../bin/stowage', import.meta.url));
const baselineBin = process.env.STOWAGE_PRUNE_BASELINE || undefined;

const daemon = new PrivateDaemon();
const rootfs = busyboxRootfs();
try {
  await daemon.start();
  const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 ** 2 }).stdout;
  // the engine's API straight, eight (imports) and sixteen (creates) at a time: a docker CLI process per
  // object made filling 500 images and 2,000 containers take over an hour on a loaded 2-core host
  for (let i = 0; i < IMAGES; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, IMAGES - i) }, (_, j) => {
      const [repo, tag] = [`stowage-bench/prune-${(i + j) % 50}`, String(i + j)];
      return api(daemon.socket, 'POST', `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${tag}`, tar, 'application/x-tar');
    }));
  }
  for (let i = 0; i < CONTAINERS; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, CONTAINERS - i) }, (_, j) => {
      const image = `stowage-bench/prune-${(i + j) % 50}:${(i + j) % IMAGES}`;
      return api(daemon.socket, 'POST', '/containers/create', Buffer.from(JSON.stringify({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } })), 'application/json');
    }));
  }
  console.log(`private engine at ${daemon.host}: ${IMAGES} images, ${CONTAINERS} stopped containers`);
  const enginePids = processesMentioning(daemon.dir);
  const rows: Record<'plan' | 'baseline' | 'df' | 'floor', Timed[]> = { plan: [], baseline: [], df: [], floor: [] };
  const planMs: number[] = [];
  const baselinePlanMs: number[] = [];
  const planArgs = ['--host', daemon.host, '--json', '--quiet', 'prune', '--images', 'unused', '--volumes', 'all', '--networks'];
  for (let r = 0; r < RUNS; r++) {
    const p = timed(process.execPath, [bin, ...planArgs], {}, enginePids);
    rows.plan.push(p);
    planMs.push((JSON.parse(p.stdout) as { result: { planMs: number } }).result.planMs);
    if (baselineBin) {
      const b = timed(process.execPath, [baselineBin, ...planArgs], {}, enginePids);
      rows.baseline.push(b);
      baselinePlanMs.push((JSON.parse(b.stdout) as { result: { planMs: number } }).result.planMs);
      // what goes, what stays and why, and the bytes: sorted, since the engine lists images that were made in the
      // same second in any order (and a layer they share is credited to the first); reasons' "N min ago" move
      const strip = (text: string) => {
        const { plan } = (JSON.parse(text) as { result: { plan: { actions: { id: string }[]; refusals: { target: string; reason: string; bytes: number }[]; totals: object } } }).result;
        return JSON.stringify([plan.actions.map((a) => a.id).sort(), plan.refusals.map((x) => `${x.target} ${x.reason} ${x.bytes}`).sort(), plan.totals]);
      };
      if (strip(b.stdout) !== strip(p.stdout)) console.log(`round ${r + 1}: the baseline's plan differs from this build's`);
    }
    rows.df.push(timed(DOCKER_CLI, ['system', 'df', '-v'], daemon.env, enginePids));
    rows.floor.push(timed(process.execPath, [bin, '--version'], {}, enginePids));
  }
  const m = (k: keyof typeof rows, f: keyof Omit<Timed, 'stdout'>) => median(rows[k].map((t) => t[f]));
  const ratio = m('plan', 'wallMs') / m('df', 'wallMs');
  console.log(`medians of ${RUNS}: wall / own CPU / engine CPU (ms)`);
  console.log(`  stowage prune --images unused --volumes all --networks (plan only): ${m('plan', 'wallMs').toFixed(0)} / ${m('plan', 'cpuMs').toFixed(0)} / ${m('plan', 'engineCpuMs').toFixed(0)}; planMs inside the process ${median(planMs).toFixed(0)}`);
  if (baselineBin) {
    console.log(`  the same, baseline ${baselineBin}: ${m('baseline', 'wallMs').toFixed(0)} / ${m('baseline', 'cpuMs').toFixed(0)} / ${m('baseline', 'engineCpuMs').toFixed(0)}; planMs ${median(baselinePlanMs).toFixed(0)}; `
      + `ratio to df wall ${(m('baseline', 'wallMs') / m('df', 'wallMs')).toFixed(2)}`);
  }
  console.log(`  docker system df -v:                                                ${m('df', 'wallMs').toFixed(0)} / ${m('df', 'cpuMs').toFixed(0)} / ${m('df', 'engineCpuMs').toFixed(0)}`);
  console.log(`  stowage --version (Node's start, the floor of every stowage run):    ${m('floor', 'wallMs').toFixed(0)} / ${m('floor', 'cpuMs').toFixed(0)} / ${m('floor', 'engineCpuMs').toFixed(0)}`);
  console.log(`ratio plan/df wall ${ratio.toFixed(2)} (target <= 1.5: ${ratio <= 1.5 ? 'met' : 'not met'}); planMs/df wall ${(median(planMs) / m('df', 'wallMs')).toFixed(2)}; `
    + `engine CPU ratio ${(m('plan', 'engineCpuMs') / Math.max(1, m('df', 'engineCpuMs'))).toFixed(2)}; load average ${loadAverage()}`);
} finally {
  rmSync(rootfs, { recursive: true, force: true });
  await daemon.destroy();
}
