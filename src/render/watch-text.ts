/** watch's events as text lines, one per reading and a block per finding raised or cleared. */
import type { WatchEvent, WatchReading, WatchTarget } from '../watch/watch.js';
import { formatBytes, formatDuration } from '../units.js';
import { renderFinding } from './findings-text.js';
import type { Style } from './style.js';

const r1 = (v: number) => (v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

function credits(n: number): string {
  return n >= 1e6 ? `${r1(n / 1e6)}M` : n >= 1e3 ? `${r1(n / 1e3)}k` : String(Math.round(n));
}

export function renderTarget(t: WatchTarget): string {
  const lines = [`watching ${t.dataRoot}: ${t.device ? `${t.chain ?? t.device}${t.fsType ? ` (${t.fsType})` : ''}` : 'no block device (iowait, PSI and D-state tasks only)'}, every ${formatDuration(t.intervalMs)}`];
  if (t.burst) {
    lines.push(`burst model: ${t.burst.basis}; baseline ${t.burst.baselineIops} IOPS, burst ${t.burst.burstIops} IOPS, bucket ${credits(t.burst.bucketCredits)} credits`
      + ` (counting ${t.burstDevice ?? t.device})`);
  } else lines.push(`burst model: none (${t.burstNote ?? 'off'})`);
  return lines.join('\n');
}

export function renderReading(r: WatchReading): string {
  const s = r.sample;
  const time = r.at.slice(11, 19);
  const parts = [time];
  if (s.device) {
    parts.push(`${s.device} ${r1(s.readIops + s.writeIops)} IOPS (r ${r1(s.readIops)} w ${r1(s.writeIops)})`,
      `${formatBytes(s.readBytesPerSec + s.writeBytesPerSec)}/s`,
      `await r ${r1(s.readAwaitMs)} w ${r1(s.writeAwaitMs)} ms`, `util ${r1(s.utilPercent)}%`);
  }
  parts.push(`iowait ${r1(s.iowaitPercent)}%`);
  if (s.ioPressurePercent !== null) parts.push(`psi ${r1(s.ioPressurePercent)}%`);
  parts.push(`D ${s.blockedTasks}`);
  const c = r.credits;
  if (c) {
    const when = c.exhaustedObserved ? 'EMPTY (at baseline)'
      : c.secondsToExhaustion !== null ? `empty in ${c.confidence === 'known' ? '' : '<= '}${formatDuration(c.secondsToExhaustion * 1000)}`
        : c.secondsToFull !== null ? `full in ${formatDuration(c.secondsToFull * 1000)}` : 'full';
    parts.push(`credits ${credits(c.creditsLeft)} (${Math.round(c.balanceRatio * 100)}%, ${c.confidence}) ${when}`);
  }
  if (r.space) parts.push(`disk ${Math.round(r.space.usedRatio * 100)}% used`);
  return parts.join('  ');
}

export function renderWatchEvent(e: WatchEvent, style: Style): string {
  switch (e.type) {
    case 'start':
      return renderTarget(e.target);
    case 'reading':
      return renderReading(e.reading);
    case 'finding':
      return e.state === 'raised' ? renderFinding(e.finding, style) : `${style.dim('cleared')} ${e.finding.title} ${style.dim(`[${e.finding.id}]`)}`;
    case 'canary':
      return `canary ${e.image}: ${e.error ? `failed: ${e.error}` : `${formatDuration(e.durationMs)}${e.medianMs !== null ? ` (median ${formatDuration(e.medianMs)})` : ''}${e.slow ? ' SLOW' : ''}`}`;
  }
}
