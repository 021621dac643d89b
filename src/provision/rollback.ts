/**
 * `stowage provision rollback`: puts the engine back on its old data-root by restoring the daemon.json that
 * apply backed up (the old data-root itself was never touched). The new disk stays formatted and mounted:
 * nothing on it is erased by a rollback; each apply step's undo says how to remove it by hand.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import type { CapabilityContext } from '../context.js';
import { BadInputError } from '../errors.js';
import { DAEMON_JSON } from '../host/daemon-config.js';
import { applyPlan, type ApplyResult } from '../plan/apply-plan.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { daemonJsonBackup } from '../host/daemon-config.js';
import type { EngineControl } from './provision.js';

export interface RollbackOptions {
  daemonJson?: string;
  /** Stops and starts the engine around the restore; none leaves the restart to the user. */
  engine?: EngineControl;
  /** Plan only. */
  dryRun?: boolean;
}

export interface RollbackReport {
  daemonJson: string;
  backup: string;
  plan: Plan;
  applied?: ApplyResult;
}

export async function rollbackProvision(options: RollbackOptions, context: CapabilityContext): Promise<RollbackReport> {
  const daemonJson = options.daemonJson ?? DAEMON_JSON;
  const backup = daemonJsonBackup(daemonJson);
  if (!existsSync(backup)) throw new BadInputError(`no backup ${backup}: provision apply did not change ${daemonJson} (or it was rolled back already)`);
  const restored = readFileSync(backup, 'utf8');
  const plan = makePlan('provision rollback', [
    ...(options.engine ? [{ id: 'stop-engine', kind: 'stop-engine', target: 'dockerd', bytes: 0, reason: options.engine.describe.stop }] : []),
    { id: 'restore-daemon-json', kind: 'write-file', target: daemonJson, bytes: restored.length, reason: `from ${backup}: the old data-root again` },
    ...(options.engine ? [{ id: 'start-engine', kind: 'start-engine', target: 'dockerd', bytes: 0, reason: options.engine.describe.start }] : []),
  ]);
  if (options.dryRun) return { daemonJson, backup, plan };
  const applied = await applyPlan(plan, {
    stopOnFailure: true,
    signal: context.signal,
    recheck: async () => undefined,
    perform: async (action, signal) => {
      if (action.id === 'stop-engine') await options.engine!.stop(signal);
      if (action.id === 'start-engine') await options.engine!.start(signal);
      if (action.id === 'restore-daemon-json') {
        await writeFileAtomic(daemonJson, restored, { keepMode: true });
        rmSync(backup);
      }
    },
  });
  return { daemonJson, backup, plan, applied };
}
