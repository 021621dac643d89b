/** Lints one Dockerfile's text: runs every rule, applies inline ignores and config, returns findings. */
import type { BuildContext } from '../dockerfile/build-context.js';
import { buildModel, type DockerfileModel } from '../dockerfile/instruction-model.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import type { Severity } from '../findings.js';
import { severityRank } from '../findings.js';
import { DEFAULT_SETTINGS, type Hit, type LintFinding, type LintSettings, type Rule, type RuleContext } from './rule-context.js';
import { RULES, type RuleId } from './rule-table.js';
import { addRules } from './rules/add-rules.js';
import { buildContextRule } from './rules/build-context-rules.js';
import { copyBeforeInstallRule } from './rules/copy-before-install.js';
import { deleteLaterLayerRule } from './rules/delete-later-layer.js';
import { packageCacheRule } from './rules/package-cache.js';
import { recursiveChownRule } from './rules/recursive-chown.js';
import { runLayersRule } from './rules/run-layers.js';
import { syntaxRule } from './rules/syntax.js';

export const ALL_RULES: readonly Rule[] = [
  syntaxRule, recursiveChownRule, copyBeforeInstallRule, packageCacheRule, deleteLaterLayerRule, runLayersRule, buildContextRule, addRules,
];

/** Ignored ids and severity overrides (from the config file and flags). */
export interface LintPolicy {
  ignore?: readonly string[];
  severity?: Readonly<Record<string, Severity>>;
}

export interface LintTextOptions {
  /** The file name findings point at. */
  file?: string;
  context?: BuildContext;
  baseLayers?: ReadonlyMap<string, number>;
  buildArgs?: Record<string, string>;
  target?: string;
  policy?: LintPolicy;
  settings?: Partial<LintSettings>;
}

export interface TextLintResult {
  findings: LintFinding[];
  model: DockerfileModel;
  /** Findings dropped by `# stowage ignore=` comments or the config. */
  suppressed: number;
  /** Rules that threw (a bug): the other rules' findings are still returned. */
  ruleErrors: string[];
}

const IGNORE_RE = /^#\s*stowage\s+(ignore|ignore-file)\s*=\s*([\w\-/*,\s]+)$/i;

/** Lints one Dockerfile's text: findings with exact ranges, what inline ignores suppressed, and rules that failed. */
export function lintText(text: string, options: LintTextOptions = {}): TextLintResult {
  const ast = parseDockerfile(text);
  const model = buildModel(ast, { buildArgs: options.buildArgs, target: options.target });
  const file = options.file ?? 'Dockerfile';
  const hits: Hit[] = [];
  const ctx: RuleContext = {
    model,
    context: options.context,
    baseLayers: options.baseLayers ?? new Map(),
    settings: { ...DEFAULT_SETTINGS, ...options.settings },
    report: (hit) => hits.push(hit),
  };
  const ruleErrors: string[] = [];
  for (const rule of ALL_RULES) {
    try {
      rule.check(ctx);
    } catch (err) {
      // A rule bug must not hide the other rules' findings; it is reported, and thrown when debugging.
      if (process.env.STOWAGE_DEBUG) throw err;
      ruleErrors.push(`${rule.ids.join(', ')}: ${(err as Error)?.message ?? String(err)}`);
    }
  }
  // Inline ignores: `# stowage ignore=ID[,ID]` above an instruction, `# stowage ignore-file=ID` anywhere.
  const fileIgnores = new Set<string>();
  const lineIgnores: { start: number; end: number; ids: Set<string> }[] = [];
  for (const c of ast.comments) {
    const m = IGNORE_RE.exec(c.text.trim());
    if (m && m[1]!.toLowerCase() === 'ignore-file') for (const id of splitIds(m[2]!)) fileIgnores.add(id);
  }
  for (const inst of ast.instructions) {
    const ids = new Set<string>();
    for (const c of inst.leadingComments) {
      const m = IGNORE_RE.exec(c.text.trim());
      if (m && m[1]!.toLowerCase() === 'ignore') for (const id of splitIds(m[2]!)) ids.add(id);
    }
    if (ids.size) lineIgnores.push({ start: inst.span.start, end: inst.span.end, ids });
  }
  const configIgnores = new Set(options.policy?.ignore ?? []);
  const matches = (set: Set<string>, id: string) => set.has(id) || set.has('*') || set.has('all') || set.has(id.slice(id.indexOf('/') + 1));
  const findings: LintFinding[] = [];
  let suppressed = 0;
  for (const h of hits) {
    if (matches(fileIgnores, h.id) || matches(configIgnores, h.id)
      || lineIgnores.some((l) => h.span.start >= l.start && h.span.start <= l.end && matches(l.ids, h.id))) {
      suppressed++;
      continue;
    }
    findings.push(toFinding(h, file, ast.source.range(h.span), options.policy?.severity?.[h.id]));
  }
  return { findings: sortByPosition(findings), model, suppressed, ruleErrors };
}

function splitIds(s: string): string[] {
  return s.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);
}

function toFinding(h: Hit, file: string, range: LintFinding['subject']['range'], override: Severity | undefined): LintFinding {
  const info = RULES[h.id as RuleId];
  const fix = { summary: info.fix, ...(h.fixCommands ? { commands: h.fixCommands } : {}), ...(h.fixConfig ? { config: h.fixConfig } : {}) };
  const evidence = [...(h.evidence ?? [])];
  if (h.autofix) evidence.push({ label: 'autofix', value: `${h.autofix.safety}: ${h.autofix.description}` });
  return {
    id: h.id,
    severity: override ?? h.severity ?? info.severity,
    title: info.title,
    evidence,
    fix,
    subject: { kind: 'dockerfile', id: file, ...(range ? { range } : {}) },
    span: h.span,
    ...(h.autofix ? { autofix: h.autofix } : {}),
  };
}

/**
 * By position in the file, then as sortFindings orders them (most severe first, then by id). Ids are
 * lower-case ASCII with `-` and `/`, for which code-unit order is the collator's order, and the first
 * localeCompare of a process costs ~10 ms of ICU set-up; a stable sort keeps equal ones as found.
 */
export function sortByPosition(findings: LintFinding[]): LintFinding[] {
  return [...findings].sort((a, b) => a.span.start - b.span.start || severityRank(b.severity) - severityRank(a.severity)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
