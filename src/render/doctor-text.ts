/** doctor's text report: a short picture of the host, then the findings, then a one-line summary. */
import type { DoctorReport } from '../doctor/doctor.js';
import { percentile } from '../stats.js';
import { describeChain } from '../host/block-device.js';
import { renderFindings } from './findings-text.js';
import { count, formatBytes, formatDuration, formatPercent } from './format.js';
import type { Style } from './style.js';

export interface DoctorTextOptions {
  /** Adds the per-image space table and the per-container logs. */
  verbose?: boolean;
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(header: string[], rows: string[][], indent: string): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function verboseSections(report: DoctorReport): string[] {
  const lines: string[] = [];
  const images = report.facts.imageSpace;
  if (images) {
    lines.push('', `  images (as \`docker system df -v\`, most unique bytes first)`);
    const opt = (n: number | undefined) => (n === undefined ? 'N/A' : formatBytes(n));
    lines.push(...table(['REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE', 'SHARED', 'UNIQUE', 'CONTAINERS'],
      images.map((i) => [i.repository, i.tag, i.id.replace(/^sha256:/, '').slice(0, 12), formatBytes(i.size), opt(i.sharedSize),
        opt(i.uniqueSize), i.containers === undefined ? 'N/A' : String(i.containers)]), '    '));
  }
  const logs = report.facts.logs;
  if (logs && logs.containers.length) {
    lines.push('', '  container logs (largest first)');
    lines.push(...table(['CONTAINER', 'STATE', 'DRIVER', 'MAX-SIZE', 'MAX-FILE', 'LOG BYTES'],
      logs.containers.map((l) => [l.name, l.state, l.driver, l.maxSize ?? (l.bounded ? 'default' : 'none'), l.maxFile ?? '-', formatBytes(l.bytes)]), '    '));
  }
  return lines;
}

export function renderDoctorText(report: DoctorReport, style: Style, options: DoctorTextOptions = {}): string {
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
  lines.push(facts.dataRootSource === 'unknown'
    ? '  data-root  unknown: the engine is on another host and did not answer'
    : `  data-root  ${facts.dataRoot}${where}${free}`);
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
    lines.push(`  logs       ${formatBytes(logs.totalBytes)} in ${count(withLogs, 'container log')}, default driver ${logs.defaultDriver ?? 'unknown'}`
      + `${open ? `; ${open} without a size limit (${formatBytes(logs.unboundedBytes)})` : ''}`);
  }
  const io = facts.io;
  if (io) {
    const parts: string[] = [];
    if (io.syncWrite) {
      parts.push(`sync write ${formatBytes(io.syncWrite.latenciesMs.length * io.syncWrite.blockBytes)} in ${formatDuration(io.syncWrite.totalMs)} (p99 ${formatDuration(percentile(io.syncWrite.latenciesMs, 99))})`);
    }
    for (const r of io.rates) parts.push(`${r.device} ${r.writeIops.toFixed(0)} w/s, await ${formatDuration(r.writeAwaitMs)}, util ${formatPercent(r.utilPercent)}`);
    if (io.iowaitPercent !== undefined) parts.push(`iowait ${formatPercent(io.iowaitPercent)}`);
    lines.push(`  io         ${parts.join('; ')}`);
  }
  for (const s of facts.skipped) lines.push(style.dim(`  skipped    ${s.group}: ${s.reason}`));
  if (options.verbose) lines.push(...verboseSections(report));
  lines.push('');
  if (report.findings.length) {
    lines.push(renderFindings(report.findings, style));
    lines.push('');
  }
  const c = report.summary;
  const verdict = report.findings.length === 0 ? 'no findings: Docker storage looks healthy'
    : `${count(report.findings.length, 'finding')}: ${c.error} error, ${c.warn} warn, ${c.info} info`;
  lines.push(`${verdict} (checked ${report.groups.join(', ')} in ${formatDuration(report.durationMs)})`);
  return lines.join('\n');
}
