/** The Finding type every capability returns: doctor, lint, analyze and bench speak it alike. */

export type Severity = 'info' | 'warn' | 'error';

export const SEVERITIES: readonly Severity[] = ['info', 'warn', 'error'];

/** One measured fact behind a finding, with its unit so renderers and machines read it alike. */
export interface Evidence {
  label: string;
  value: number | string | boolean;
  unit?: string;
}

/** What to do about a finding: a sentence, then commands or config to apply. */
export interface Fix {
  summary: string;
  commands?: string[];
  config?: string;
}

/** A range in a text file, 1-based lines and columns, end inclusive; used by lint. */
export interface SourceRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export type SubjectKind =
  | 'host' | 'engine' | 'device' | 'filesystem' | 'image' | 'layer' | 'container' | 'volume'
  | 'build-cache' | 'path' | 'dockerfile' | 'benchmark';

/** What a finding is about: an image, a device, a Dockerfile range… */
export interface Subject {
  kind: SubjectKind;
  id: string;
  range?: SourceRange;
}

export interface Finding {
  /** Stable, documented id such as `disk/burst-credits`; never reworded. */
  id: string;
  severity: Severity;
  title: string;
  evidence: Evidence[];
  fix?: Fix;
  subject: Subject;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when any finding is at or above the threshold (`--fail-on`). */
export function reachesThreshold(findings: readonly Finding[], threshold: Severity): boolean {
  const floor = severityRank(threshold);
  return findings.some((f) => severityRank(f.severity) >= floor);
}

/** Most severe first, then by id, so output is stable. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id)
      || a.subject.id.localeCompare(b.subject.id),
  );
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** One row of a capability's finding table (doctor/finding-ids.ts and its siblings): what an id means. */
export interface FindingInfo {
  /** Stable, documented id such as `disk/burst-credits`; never reworded. */
  id: string;
  /** Every severity the finding can carry. */
  severities: readonly Severity[];
  /** What it means, in one line. */
  meaning: string;
  /** Where it is documented. */
  doc: string;
}

/** How many findings of each severity: the `summary` of a capability's result. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = { error: 0, warn: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
