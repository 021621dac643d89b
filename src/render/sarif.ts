/**
 * Findings as a SARIF 2.1.0 log (what GitHub code scanning uploads). Generic: any capability's findings
 * whose subject is a file (range optional) become results; the rules list comes from the caller's table.
 * Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import type { Finding, Severity } from '../findings.js';
import { formatValue } from './format.js';

export interface SarifRuleInfo {
  id: string;
  title: string;
  fix?: string;
  severity: Severity;
  /** Link to the rule's documentation page. */
  helpUri?: string;
}

export interface SarifOptions {
  toolName: string;
  toolVersion: string;
  informationUri?: string;
  rules: readonly SarifRuleInfo[];
  /** Extra properties per result (e.g. lint's autofix class). */
  resultProperties?: (finding: Finding) => Record<string, unknown> | undefined;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warn: 'warning', info: 'note' };

/** Findings as a SARIF 2.1.0 log object. */
export function sarifLog(findings: readonly Finding[], options: SarifOptions): Record<string, unknown> {
  const ruleIndex = new Map(options.rules.map((r, i) => [r.id, i]));
  const results = findings.map((f) => {
    const region = f.subject.range
      ? {
        startLine: f.subject.range.startLine,
        startColumn: f.subject.range.startColumn,
        endLine: f.subject.range.endLine,
        // SARIF's endColumn is exclusive; ours is inclusive
        endColumn: f.subject.range.endColumn + 1,
      }
      : undefined;
    const details = f.evidence.map((e) => `${e.label}: ${formatValue(e.value, e.unit)}`).join('; ');
    const props = options.resultProperties?.(f);
    return {
      ruleId: f.id,
      ...(ruleIndex.has(f.id) ? { ruleIndex: ruleIndex.get(f.id) } : {}),
      level: LEVEL[f.severity],
      message: { text: details ? `${f.title}. ${details}${f.fix ? `. Fix: ${f.fix.summary}` : ''}` : f.title },
      locations: [{
        physicalLocation: {
          artifactLocation: { uri: toUri(f.subject.id) },
          ...(region ? { region } : {}),
        },
      }],
      properties: { evidence: f.evidence, ...(props ?? {}) },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: options.toolName,
          version: options.toolVersion,
          ...(options.informationUri ? { informationUri: options.informationUri } : {}),
          rules: options.rules.map((r) => ({
            id: r.id,
            name: r.id.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase()),
            shortDescription: { text: r.title },
            ...(r.fix ? { help: { text: r.fix } } : {}),
            ...(r.helpUri ? { helpUri: r.helpUri } : {}),
            defaultConfiguration: { level: LEVEL[r.severity] },
          })),
        },
      },
      columnKind: 'utf16CodeUnits',
      results,
    }],
  };
}

/** Findings as a SARIF 2.1.0 document, as text (GitHub code scanning reads it). */
export function renderSarif(findings: readonly Finding[], options: SarifOptions): string {
  return `${JSON.stringify(sarifLog(findings, options), null, 2)}\n`;
}

/** A relative POSIX path as a URI reference (spaces and the like percent-encoded). */
function toUri(path: string): string {
  const p = path.replace(/\\/g, '/');
  return p.split('/').map((s) => encodeURIComponent(s)).join('/').replace(/^%2F/, '/');
}
