/**
 * What a bench script needs before it starts, checked up front so a missing piece ends the script with
 * one line that says what to install, never a stack trace halfway through a measurement.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DOCKER_CLI } from '../test/support/docker-cli.js';

export type Need =
  | { tool: string; install: string }
  | { file: string; install: string }
  | 'root'
  | 'engine'
  | 'overlay2'
  | 'loop devices';

/** Whether `name` is an executable in one of PATH's directories (found without starting a process). */
export function onPath(name: string, path = process.env.PATH ?? ''): boolean {
  return path.split(':').some((dir) => {
    if (!dir) return false;
    try { accessSync(join(dir, name), constants.X_OK); return true; } catch { return false; }
  });
}

function engineDriver(): string | undefined {
  const r = spawnSync(DOCKER_CLI, ['info', '--format', '{{.Driver}}'], { encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** The needs that are not met, each as [what, how to get it]. */
export function missing(needs: Need[], path = process.env.PATH ?? ''): [string, string][] {
  const out: [string, string][] = [];
  let driver: string | undefined | null = null;
  const driverOnce = () => (driver === null ? (driver = engineDriver()) : driver);
  for (const need of needs) {
    if (need === 'root') {
      if (process.getuid?.() !== 0) out.push(['root', 'run it as root']);
    } else if (need === 'engine') {
      if (!existsSync(DOCKER_CLI) && !onPath('docker', path)) out.push(['the docker CLI', 'apt-get install docker.io']);
      else if (!driverOnce()) out.push(['a running Docker engine', 'start dockerd (apt-get install docker.io) or set DOCKER_HOST']);
    } else if (need === 'overlay2') {
      const d = driverOnce();
      if (d && d !== 'overlay2') out.push([`the overlay2 storage driver (the engine runs ${d})`, 'set "storage-driver": "overlay2" in /etc/docker/daemon.json']);
    } else if (need === 'loop devices') {
      if (!existsSync('/dev/loop-control')) out.push(['loop devices', 'modprobe loop (or run where /dev/loop-control exists)']);
    } else if ('tool' in need) {
      if (!onPath(need.tool, path)) out.push([need.tool, need.install]);
    } else if (!existsSync(need.file)) {
      out.push([need.file, need.install]);
    }
  }
  return out;
}

/** Exits with status 2 and one line on stderr when a need is not met: "bench/x needs A, B: how; how". */
export function requirePrerequisites(script: string, needs: Need[]): void {
  const gaps = missing(needs);
  if (!gaps.length) return;
  process.stderr.write(`${script} needs ${gaps.map(([what]) => what).join(', ')}: ${[...new Set(gaps.map(([, how]) => how))].join('; ')}\n`);
  process.exit(2);
}

/** Needs several scripts share. */
export const NEEDS = {
  busybox: { file: '/bin/busybox', install: 'apt-get install busybox-static' },
  tar: { tool: 'tar', install: 'apt-get install tar' },
  dockerd: { tool: 'dockerd', install: 'apt-get install docker.io' },
  ip: { tool: 'ip', install: 'apt-get install iproute2' },
  debootstrap: { tool: 'debootstrap', install: 'apt-get install debootstrap' },
  registry: { file: '/usr/bin/docker-registry', install: 'apt-get install docker-registry' },
  losetup: { tool: 'losetup', install: 'apt-get install mount' },
  mkfsExt4: { tool: 'mkfs.ext4', install: 'apt-get install e2fsprogs' },
} as const satisfies Record<string, Need>;
