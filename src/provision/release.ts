/**
 * `provision rollback --release`: undoes what apply put on the host for the new disk, after daemon.json is back:
 * the boot units (or the fstab line), the mount, and with `--wipe` stowage's filesystem itself. It finds its own
 * work by the filesystem's label (`stowage-dr`) and UUID, never by a name alone, and refuses while an engine
 * still has its data-root on the mount. A split's data partition (the user's data) is never touched.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { RefusedError } from '../errors.js';
import type { HostFs } from '../host/host-fs.js';
import { parseMountinfo } from '../host/mountinfo.js';
import {
  commandLine, deviceByUuid, probeSignature, runInvocation, systemctlCommand, unmountCommand, wipeCommand,
} from '../host/provision-tools.js';
import type { ToolRunner } from '../host/tool-runner.js';
import type { PlanAction } from '../plan/plan.js';
import { ephemeralUnitName, mountUnitName } from './boot-units.js';
import { DOCKER_LABEL } from './device-refusals.js';

export interface ReleaseOptions {
  mountPoint: string;
  unitDir: string;
  fstab: string;
  wipe: boolean;
}

export interface ReleaseTarget {
  /** stowage's filesystem: found mounted on the mount point, else by the UUID its mount unit or fstab line names. */
  device: string | undefined;
  uuid: string | undefined;
  mounted: boolean;
  units: string[];
  fstabLine: string | undefined;
}

function mountSource(fs: HostFs, where: string): string | undefined {
  return parseMountinfo(fs.readText('/proc/self/mountinfo') ?? '').filter((m) => m.mountPoint === where).at(-1)?.source;
}

/** What apply left for this mount point, read from the host (the mount, the units, fstab, blkid). */
export async function findRelease(o: ReleaseOptions, fs: HostFs, tools: ToolRunner, signal: AbortSignal): Promise<ReleaseTarget> {
  const units = [ephemeralUnitName(o.mountPoint), mountUnitName(o.mountPoint)].map((u) => join(o.unitDir, u)).filter((p) => existsSync(p));
  const source = mountSource(fs, o.mountPoint);
  const fromUnit = units.map((p) => /^What=\/dev\/disk\/by-uuid\/(\S+)$/m.exec(readFileSync(p, 'utf8'))?.[1]).find(Boolean);
  const fstabText = existsSync(o.fstab) ? readFileSync(o.fstab, 'utf8') : '';
  const fstabLine = fstabText.split('\n').find((l) => /^UUID=\S+\s/.test(l) && l.split(/\s+/)[1] === o.mountPoint);
  let uuid = fromUnit ?? fstabLine?.slice(5).split(/\s/)[0];
  let device = source;
  if (device) {
    const sig = await probeSignature(device, { tools, signal });
    if (sig.LABEL !== DOCKER_LABEL) {
      throw new RefusedError(`${o.mountPoint} holds ${device} (${sig.TYPE ?? 'unknown'}, label ${sig.LABEL ?? 'none'}), not stowage's filesystem (label ${DOCKER_LABEL})`, 'Nothing was released; undo by hand what is not stowage\'s.');
    }
    if (uuid && sig.UUID !== uuid) throw new RefusedError(`${o.mountPoint} holds UUID ${sig.UUID}, but its unit or fstab line names ${uuid}`, 'Nothing was released.');
    uuid = sig.UUID;
  } else if (uuid) {
    device = await deviceByUuid(uuid, { tools, signal });
  }
  return { device, uuid, mounted: source !== undefined, units, fstabLine };
}

/** The release's actions, in order: units, fstab line, unmount, wipe. */
export function releaseActions(t: ReleaseTarget, o: ReleaseOptions, systemd: boolean): { action: PlanAction; commands: string[] }[] {
  const out: { action: PlanAction; commands: string[] }[] = [];
  for (const unit of t.units) {
    const name = unit.slice(unit.lastIndexOf('/') + 1);
    out.push({ action: { id: `remove-unit ${name}`, kind: 'remove-file', target: unit, bytes: 0, reason: 'apply wrote it' },
      commands: [...(systemd ? [commandLine(systemctlCommand('disable', [name]))] : []), `rm ${unit}`] });
  }
  if (t.fstabLine) {
    out.push({ action: { id: 'remove-fstab-line', kind: 'write-file', target: o.fstab, bytes: 0, reason: `the line ${t.fstabLine.trim()}` }, commands: [`remove "${t.fstabLine.trim()}" from ${o.fstab}`] });
  }
  if (t.mounted) {
    out.push({ action: { id: 'unmount', kind: 'unmount', target: o.mountPoint, bytes: 0, reason: `${t.device} (label ${DOCKER_LABEL})` }, commands: [commandLine(unmountCommand(o.mountPoint))] });
  }
  if (o.wipe && t.device) {
    out.push({ action: { id: 'wipe', kind: 'wipe', target: t.device, bytes: 0, reason: `stowage's filesystem (label ${DOCKER_LABEL}, UUID ${t.uuid})` }, commands: [commandLine(wipeCommand(t.device))] });
  }
  return out;
}

/** Performs one release action; the engine must no longer use the mount (checked by the caller before). */
export async function performRelease(action: PlanAction, t: ReleaseTarget, o: ReleaseOptions, ctx: { tools: ToolRunner; systemd: boolean; signal: AbortSignal }): Promise<void> {
  const run = (c: Parameters<typeof runInvocation>[0]) => runInvocation(c, { tools: ctx.tools, signal: ctx.signal });
  if (action.kind === 'remove-file') {
    const name = action.target.slice(action.target.lastIndexOf('/') + 1);
    if (ctx.systemd) await run(systemctlCommand('disable', [name]));
    rmSync(action.target, { force: true });
  } else if (action.id === 'remove-fstab-line') {
    const text = readFileSync(o.fstab, 'utf8');
    await writeFileAtomic(o.fstab, text.split('\n').filter((l) => l !== t.fstabLine).join('\n'), { keepMode: true });
  } else if (action.id === 'unmount') {
    await run(unmountCommand(o.mountPoint));
  } else if (action.id === 'wipe') {
    const sig = await probeSignature(action.target, { tools: ctx.tools, signal: ctx.signal });
    if (sig.LABEL !== DOCKER_LABEL || sig.UUID !== t.uuid) throw new RefusedError(`${action.target} no longer holds stowage's filesystem (UUID ${t.uuid}): not wiped`);
    await run(wipeCommand(action.target));
  }
}
