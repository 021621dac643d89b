/** A watch snapshot's part of the page: what was watched, the chart over time, the credit estimate, every finding. */
import type { Finding } from '../../findings.js';
import type { WatchEvent, WatchTarget } from '../../watch/watch.js';
import { formatDuration } from '../format.js';
import { dataTable, factList, type Cell } from './data-table.js';
import { esc } from './escape.js';
import { findingAnchor, findingsSection } from './findings-html.js';
import { watchChart, watchTimeline } from './watch-chart.js';

export interface WatchSnapshot {
  events: WatchEvent[];
  findings: Finding[];
}

function targetFacts(t: WatchTarget | undefined): string {
  if (!t) return '<p class="muted">The snapshot has no start event (a tail of the stream): what was watched is not known.</p>';
  return factList([
    ['data-root', t.dataRoot],
    ['device', `${t.device ?? '–'}${t.chain && t.chain !== t.device ? ` (${t.chain})` : ''}${t.fsType ? `, ${t.fsType} at ${t.mountPoint ?? '?'}` : ''}`],
    ['burst model', t.burst ? `${t.burst.model} on ${t.burstDevice ?? '?'}: ${t.burst.baselineIops} IOPS baseline, ${t.burst.burstIops} burst, ${t.burst.bucketCredits} credits (${t.burst.basis})` : t.burstNote ?? 'none'],
    ['interval', { value: t.intervalMs, unit: 'ms' }],
  ]);
}

export function watchSection(r: WatchSnapshot, docId: string): string {
  const start = r.events.find((e): e is Extract<WatchEvent, { type: 'start' }> => e.type === 'start');
  let html = targetFacts(start?.target);
  html += watchChart(r.events, docId);
  const { points, marks } = watchTimeline(r.events);
  const withCredits = points.filter((p) => p.reading.credits);
  if (withCredits.length) {
    const first = withCredits[0]!;
    const last = withCredits[withCredits.length - 1]!;
    const soonest = withCredits.reduce((a, p) => (p.reading.credits!.secondsToExhaustion ?? Infinity) < (a.reading.credits!.secondsToExhaustion ?? Infinity) ? p : a);
    const row = (name: string, p: typeof first): Cell[] => {
      const c = p.reading.credits!;
      return [name, { value: p.tMs, unit: 'ms' }, { value: c.creditsLeft }, { value: c.creditsLowerBound }, { value: c.creditsUpperBound },
        { value: c.secondsToExhaustion === null ? null : c.secondsToExhaustion * 1000, unit: 'ms' }, c.confidence];
    };
    html += dataTable('Burst-credit estimate', ['reading', 'at', 'credits left', 'lower bound', 'upper bound', 'to exhaustion', 'confidence'],
      [row('first', first), row('soonest exhaustion', soonest), row('last', last)], 'credits');
  }
  if (marks.length) {
    html += dataTable('Finding events', ['at', 'event', 'finding'], marks.map((m) => [
      formatDuration(m.tMs), m.state,
      { html: m.findingIndex === undefined ? esc(m.finding.title) : `<a href="#${findingAnchor(docId, m.findingIndex)}">${esc(m.finding.title)}</a>` },
    ]), 'finding-events');
  }
  return html + findingsSection(docId, r.findings);
}
