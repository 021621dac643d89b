/**
 * `stowage provision rollback`: puts the engine back on its old data-root by restoring the daemon.json that
 * apply backed up (the old data-root itself was never touched). With `release`, it then undoes what apply put
 * on the host for the new disk (units or fstab line, the mount, and with `wipe` stowage's filesystem): see
 * release.ts. Without `release` the new disk stays formatted and mounted.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import type { CapabilityContext } from '../context.js';
import { BadInputError, RefusedError } from '../errors.js';
import { DAEMON_JSON, daemonJsonBackup, readDaemonConfig } from '../host/daemon-config.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { hostTools, type ToolRunner } from '../host/tool-runner.js';
import { applyPlan, type ApplyResult } from '../plan/apply-plan.js';
import { makePlan, type Plan, type PlanAction } from '../plan/plan.js';
import { SCHEMA_VERSION } from '../version.js';
import type { EngineControl } from './provision.js';
import { findRelease, performRelease, releaseActions, type ReleaseOptions, type ReleaseTarget } from './release.js';

export interface RollbackOptions {
  daemonJson?: string;
  /** Stops and starts the engine around the restore; none leaves the restart to the user. */
  engine?: EngineControl;
  /** Also release the new disk: remove apply's units or fstab line, unmount it, and with `wipe` erase it. */
  release?: ReleaseOptions;
  /** Plan only. */
  dryRun?: boolean;
  hostFs?: HostFs;
  tools?: ToolRunner;
}

export interface RollbackReport {
  schemaVersion: typeof SCHEMA_VERSION;
  daemonJson: string;
  backup: string;
  /** With `release`: what apply left on the host for the new disk. */
  release?: ReleaseTarget;
  plan: Plan;
  /** Per action: the command lines it runs. */
  commands: Record<string, string[]>;
  applied?: ApplyResult;
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir.replace(/\/$/, '')}/`);
}

export async function rollbackProvision(options: RollbackOptions, context: CapabilityContext): Promise<RollbackReport> {
  const fs = options.hostFs ?? liveHostFs;
  const tools = options.tools ?? hostTools;
  const systemd = fs.listDir('/run/systemd/system').length > 0;
  const daemonJson = options.daemonJson ?? DAEMON_JSON;
  const backup = daemonJsonBackup(daemonJson);
  const hasBackup = existsSync(backup);
  if (!hasBackup && !options.release) throw new BadInputError(`no backup ${backup}: provision apply did not change ${daemonJson} (or it was rolled back already)`);
  const restored = hasBackup ? readFileSync(backup, 'utf8') : undefined;
  const release = options.release ? await findRelease(options.release, fs, tools, context.signal) : undefined;
  if (release && options.release && restored === undefined && under(readDaemonConfig(fs, daemonJson).dataRoot, options.release.mountPoint)) {
    throw new RefusedError(`${daemonJson} still puts data-root on ${options.release.mountPoint} and has no backup to restore`, 'Set data-root back yourself and restart the engine, then release the disk.');
  }
  const released = release && options.release ? releaseActions(release, options.release, systemd) : [];
  const engine = restored !== undefined ? options.engine : undefined;
  const actions: PlanAction[] = [
    ...(engine ? [{ id: 'stop-engine', kind: 'stop-engine', target: 'dockerd', bytes: 0, reason: engine.describe.stop }] : []),
    ...(restored !== undefined ? [{ id: 'restore-daemon-json', kind: 'write-file', target: daemonJson, bytes: restored.length, reason: `from ${backup}: the old data-root again` }] : []),
    ...(engine ? [{ id: 'start-engine', kind: 'start-engine', target: 'dockerd', bytes: 0, reason: engine.describe.start }] : []),
    ...released.map((r) => r.action),
  ];
  const plan = makePlan('provision rollback', actions);
  const commands: Record<string, string[]> = Object.fromEntries(released.map((r) => [r.action.id, r.commands]));
  const base: Omit<RollbackReport, 'plan' | 'applied'> = { schemaVersion: SCHEMA_VERSION, daemonJson, backup, ...(release ? { release } : {}), commands };
  if (options.dryRun) return { ...base, plan };
  /** The engine must not run on the mount being released (umount would fail, or worse, it would write under it). */
  const engineOffMount = async (): Promise<void> => {
    const where = options.release!.mountPoint;
    const root = await context.engine().then((e) => e.info()).then((i) => i.dockerRootDir, () => undefined);
    if (root && under(root, where)) throw new RefusedError(`the engine's data-root ${root} is still on ${where}`, 'Restart the engine on the old data-root first (--engine-restart systemd, or restart dockerd yourself).');
  };
  const applied = await applyPlan(plan, {
    stopOnFailure: true,
    signal: context.signal,
    recheck: async (action) => {
      if (action.id === 'unmount' || action.id === 'wipe') await engineOffMount();
      return undefined;
    },
    perform: async (action, signal) => {
      context.progress.update({ step: `${action.kind} ${action.target}` });
      if (action.id === 'stop-engine') await engine!.stop(signal);
      else if (action.id === 'start-engine') await engine!.start(signal);
      else if (action.id === 'restore-daemon-json') {
        await writeFileAtomic(daemonJson, restored!, { keepMode: true });
        rmSync(backup);
      } else await performRelease(action, release!, options.release!, { tools, systemd, signal });
    },
  });
  return { ...base, plan, applied };
}
