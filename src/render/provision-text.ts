/** `stowage provision` as text: the device and its evidence, the plan (shared plan renderer), each step's commands and undo. */
import type { ProvisionReport } from '../provision/provision.js';
import type { RollbackReport } from '../provision/rollback.js';
import { formatBytes } from './format.js';
import { renderPlanText } from './plan-text.js';
import type { Style } from './style.js';

export function renderProvisionText(report: ProvisionReport, style: Style): string {
  const d = report.device;
  const lines: string[] = [];
  lines.push(style.bold(`device ${d.given}${d.auto ? `: ${d.stableName}, ${d.auto}` : ''}`));
  lines.push(`  kernel name   ${d.path} (${d.kind}, ${formatBytes(d.sizeBytes)})${d.cloud ? `, ${d.cloud}` : ''}`);
  lines.push(`  stable name   ${d.stableLinks.length ? d.stableName : `${d.path} (no /dev/disk link: kernel names can change between boots)`}`);
  for (const link of d.stableLinks.slice(1)) lines.push(`                ${link}`);
  lines.push(`  holds         ${d.probeErrors.length ? 'unknown (its signatures cannot be read)' : d.signatures.length ? d.signatures.map((s) => `${s.type} at ${s.offset}${s.uuid ? ` (UUID ${s.uuid})` : ''}`).join(', ') : 'no signature (wipefs)'}`);
  lines.push(`  mounted       ${d.mounts.length ? d.mounts.map((m) => `${m.device} on ${m.mountPoint}`).join(', ') : 'no'}`);
  if (report.driver === 'devicemapper') lines.push(`  storage       devicemapper thin pool /dev/mapper/docker-thinpool (LVM), data-root stays ${report.dataRoot.current}`);
  else lines.push(`  data-root     ${report.dataRoot.current} -> ${report.dataRoot.next} (${report.fs}, ${report.persist === 'unit' ? 'systemd mount unit' : 'fstab line'}, engine restart: ${report.engine})`);
  lines.push('');
  lines.push(renderPlanText(report.plan, style, report.applied));
  if (report.steps.length && !report.plan.refusals.length) {
    lines.push('');
    lines.push(style.bold('steps'));
    for (const s of report.steps) {
      lines.push(`  ${s.id}`);
      for (const c of s.commands) lines.push(`    $ ${c}`);
      lines.push(`    undo: ${s.undo}`);
    }
  }
  if (report.notes.length) {
    lines.push('');
    for (const n of report.notes) lines.push(`note: ${n}`);
  }
  return lines.join('\n');
}

/** `provision rollback`: the plan, then each release action's command lines. */
export function renderRollbackText(report: RollbackReport, style: Style): string {
  const lines = [renderPlanText(report.plan, style, report.applied)];
  const ids = Object.keys(report.commands);
  if (ids.length && !report.applied) {
    lines.push('', style.bold('steps'));
    for (const id of ids) {
      lines.push(`  ${id}`);
      for (const c of report.commands[id]!) lines.push(`    $ ${c}`);
    }
  }
  if (report.release && !report.release.device && !report.release.units.length && !report.release.fstabLine) lines.push('', 'note: nothing of stowage\'s was found for that mount point (no mount, unit or fstab line)');
  return lines.join('\n');
}
