/** doctor's part of the page: the engine and data-root, where the space goes, the disk's I/O, and every finding. */
import type { DoctorReport } from '../../doctor/doctor.js';
import { formatDuration } from '../format.js';
import type { Cell } from './data-table.js';
import { dataTable, factList } from './data-table.js';
import { esc } from './escape.js';
import { findingsSection } from './findings-html.js';
import { SPACE_KINDS, spaceChart } from './space-chart.js';

export function doctorSection(r: DoctorReport, docId: string): string {
  const f = r.facts;
  const engine: [string, Cell][] = f.engine.reachable
    ? [['engine', `${f.engine.endpoint} (Docker ${f.engine.info.serverVersion}, API ${f.engine.apiVersion})`], ['storage driver', f.engine.info.storageDriver]]
    : [['engine', `${f.engine.endpoint}: unreachable (${f.engine.failure})`]];
  const disk = f.disk;
  const facts = factList([
    ...engine,
    ['data-root', f.dataRootSource === 'unknown' ? 'unknown (a remote engine that did not answer)' : `${f.dataRoot} (from ${f.dataRootSource})`],
    ...(disk?.mount ? [['filesystem', `${disk.mount.fsType} on ${disk.mount.source} at ${disk.mount.mountPoint}`] as [string, Cell]] : []),
    ...(disk?.space ? [['size', { value: disk.space.totalBytes, unit: 'bytes' }], ['available', { value: disk.space.availableBytes, unit: 'bytes' }]] as [string, Cell][] : []),
    ['checks run', r.groups.join(', ')],
    ['took', { value: r.durationMs, unit: 'ms' }],
  ]);
  let html = facts;
  if (f.skipped?.length) html += `<ul class="skipped">${f.skipped.map((s) => `<li>${esc(`${s.group}: skipped, ${s.reason}`)}</li>`).join('')}</ul>`;
  if (f.usage) {
    html += spaceChart(f.usage, docId);
    html += dataTable('Docker\'s space (docker system df)', ['kind', 'count', 'in use', 'size', 'reclaimable'],
      SPACE_KINDS.map(([key, name]) => {
        const t = f.usage!.totals[key];
        return [name, { value: t.count }, { value: t.active }, { value: t.size, unit: 'bytes' }, { value: t.reclaimable, unit: 'bytes' }];
      }), 'space');
  }
  if (f.io) {
    const io = f.io;
    const devices = io.rates.length ? io.rates : io.devices ?? [];
    if (devices.length) {
      html += dataTable(`Disk I/O over ${formatDuration(io.windowMs)}`, ['device', 'read IOPS', 'write IOPS', 'read', 'write', 'read await', 'write await', 'util', 'queue'],
        devices.map((d) => [d.device, { value: d.readIops }, { value: d.writeIops }, { value: d.readBytesPerSec, unit: 'bytes/s' }, { value: d.writeBytesPerSec, unit: 'bytes/s' },
          { value: d.readAwaitMs, unit: 'ms' }, { value: d.writeAwaitMs, unit: 'ms' }, { value: d.utilPercent, unit: '%' }, { value: d.queueDepth }]), 'io');
    }
    const pairs: [string, Cell][] = [['iowait', { value: io.iowaitPercent, unit: '%' }], ['tasks in D state now', { value: io.blockedNow }]];
    if (io.stuckTasks.length) pairs.push(['stuck in D state', io.stuckTasks.map((t) => `${t.comm}[${t.pid}]${t.wchan ? ` ${t.wchan}` : ''}`).join(', ')]);
    if (io.syncWrite) {
      const lat = [...io.syncWrite.latenciesMs].sort((a, b) => a - b);
      pairs.push(['sync writes', `${io.syncWrite.writes} × ${io.syncWrite.blockBytes} bytes${io.syncWrite.timedOut ? ', timed out' : ''}`]);
      pairs.push(['slowest sync write', { value: lat[lat.length - 1], unit: 'ms' }]);
    }
    html += factList(pairs);
  }
  return html + findingsSection(docId, r.findings);
}
