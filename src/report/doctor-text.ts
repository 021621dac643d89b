/** doctor's text report: a short picture of the host, then the findings, then a one-line summary. */
import type { DoctorReport } from '../doctor/doctor.js';
import { percentile } from '../stats.js';
import { describeChain } from '../host/block-device.js';
import { countBySeverity, renderFindings } from './findings-text.js';
import { formatBytes, formatDuration, formatPercent } from './format.js';
import type { Style } from './style.js';

export function renderDoctorText(report: DoctorReport, style: Style): string {
  const { facts } = report;
  const lines: string[] = [];
  const e = facts.engine;
  lines.push(style.bold('stowage doctor'));
  lines.push(e.reachable
    ? `  engine     ${e.endpoint}: Docker ${e.info.serverVersion}, API ${e.apiVersion}, driver ${e.info.storageDriver}`
    : `  engine     ${e.endpoint}: unreachable (${e.failure})`);
  const disk = facts.disk;
  const where = disk?.mount ? ` on ${disk.mount.source} (${disk.mount.fsType})` : '';
  const free = disk?.space ? `, ${formatBytes(disk.space.availableBytes)} free of ${formatBytes(disk.space.totalBytes)}` : '';
  lines.push(`  data-root  ${facts.dataRoot}${where}${free}`);
  if (disk?.device) lines.push(`  device     ${describeChain(disk.device)}`);
  const u = facts.usage?.totals;
  if (u) {
    lines.push(`  space      images ${formatBytes(u.images.size)} (${u.images.count}), containers ${formatBytes(u.containers.size)} (${u.containers.count}), `
      + `volumes ${formatBytes(u.volumes.size)} (${u.volumes.count}), build cache ${formatBytes(u.buildCache.size)} (${u.buildCache.count})`);
  }
  const logs = facts.logs;
  if (logs) {
    const withLogs = logs.containers.filter((l) => l.bytes > 0).length;
    const open = logs.containers.filter((l) => !l.bounded).length;
    lines.push(`  logs       ${formatBytes(logs.totalBytes)} in ${withLogs} container log(s), default driver ${logs.defaultDriver ?? 'unknown'}`
      + `${open ? `; ${open} without a size limit (${formatBytes(logs.unboundedBytes)})` : ''}`);
  }
  const io = facts.io;
  if (io) {
    const parts: string[] = [];
    if (io.syncWrite) {
      parts.push(`sync write ${io.syncWrite.latenciesMs.length} MiB in ${formatDuration(io.syncWrite.totalMs)} (p99 ${formatDuration(percentile(io.syncWrite.latenciesMs, 99))})`);
    }
    for (const r of io.rates) parts.push(`${r.device} ${r.writeIops.toFixed(0)} w/s, await ${formatDuration(r.writeAwaitMs)}, util ${formatPercent(r.utilPercent)}`);
    if (io.iowaitPercent !== undefined) parts.push(`iowait ${formatPercent(io.iowaitPercent)}`);
    lines.push(`  io         ${parts.join('; ')}`);
  }
  for (const s of facts.skipped) lines.push(style.dim(`  skipped    ${s.group}: ${s.reason}`));
  lines.push('');
  if (report.findings.length) {
    lines.push(renderFindings(report.findings, style));
    lines.push('');
  }
  const c = countBySeverity(report.findings);
  const verdict = report.findings.length === 0 ? 'no findings: Docker storage looks healthy'
    : `${report.findings.length} finding(s): ${c.error} error, ${c.warn} warn, ${c.info} info`;
  lines.push(`${verdict} (checked ${report.groups.join(', ')} in ${formatDuration(report.durationMs)})`);
  return lines.join('\n');
}
