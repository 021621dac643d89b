/**
 * Every lint rule's stable id, default severity, title and autofix class: the one message table the rules,
 * the renderers, the docs and the tests all read. Ids are never reworded (docs/rules/<name>.md each). Each row
 * is also a FindingInfo, the shape of doctor's, analyze's and bench's finding tables.
 */
import type { FindingInfo, Severity } from '../findings.js';

export type AutofixClass = 'safe' | 'unsafe' | 'none';

export interface RuleInfo extends FindingInfo {
  id: string;
  /** The default severity (`severities` lists every one a finding can carry). */
  severity: Severity;
  /** The finding title; stable, so tests compare it. */
  title: string;
  /** What to do, in one sentence. */
  fix: string;
  autofix: AutofixClass;
  /** What the rule protects: build speed, image size, build context or correctness. */
  area: 'speed' | 'size' | 'context' | 'syntax';
}

/** A row as written below; `severities` only where a finding can leave its default severity. */
type RuleRow = Omit<RuleInfo, 'severities' | 'meaning' | 'doc'> & { severities?: readonly Severity[] };

const table = [
  { id: 'dockerfile/syntax', severity: 'error', area: 'syntax', autofix: 'none',
    title: 'Not a valid Dockerfile line',
    fix: 'Fix the line: a known instruction with its arguments, a terminated heredoc, a valid escape directive.' },
  { id: 'dockerfile/recursive-chown', severity: 'warn', area: 'speed', autofix: 'none',
    title: 'Recursive chown/chmod over files an earlier layer created copies every file into a new layer',
    fix: 'Set owner and mode where the files are created: COPY --chown/--chmod, or the RUN that creates them.' },
  { id: 'dockerfile/copy-then-chown', severity: 'warn', area: 'speed', autofix: 'safe',
    title: 'COPY followed by RUN chown/chmod of its destination duplicates every copied file',
    fix: 'Fold the chown/chmod into the COPY with --chown/--chmod and drop it from the RUN.' },
  { id: 'dockerfile/copy-before-install', severity: 'warn', area: 'speed', autofix: 'unsafe',
    title: 'The whole source tree is copied before the dependency install, so any change re-runs the install',
    fix: 'Copy only the manifests and lockfiles, run the install, then copy the rest.' },
  { id: 'dockerfile/package-cache', severity: 'warn', area: 'size', autofix: 'safe',
    title: 'Package manager cache left in the image layer',
    fix: 'Use a cache mount (RUN --mount=type=cache,target=…) or clean the cache in the same RUN.' },
  { id: 'dockerfile/delete-later-layer', severity: 'warn', area: 'size', autofix: 'none',
    title: 'Files deleted in a later layer than the one that created them: no space is saved',
    fix: 'Delete them in the RUN that creates them, or keep them out of the final stage.' },
  { id: 'dockerfile/apt-update-alone', severity: 'warn', area: 'size', autofix: 'unsafe',
    title: 'apt-get update alone in a layer: stale package lists cached, and lists left in the image',
    fix: 'Run apt-get update in the same RUN as apt-get install.' },
  { id: 'dockerfile/consecutive-run', severity: 'info', area: 'size', autofix: 'unsafe',
    title: 'Consecutive RUN instructions could be one layer',
    fix: 'Join them with && in one RUN.' },
  { id: 'dockerfile/layer-count', severity: 'warn', severities: ['warn', 'error'], area: 'size', autofix: 'none',
    title: 'Image close to or over the overlay2 limit of 128 layers',
    fix: 'Join RUNs, use a multi-stage build, or flatten the image (stowage flatten).' },
  { id: 'dockerfile/missing-dockerignore', severity: 'info', area: 'context', autofix: 'none',
    title: 'No .dockerignore: the whole directory is sent as the build context',
    fix: 'Add a .dockerignore listing what the build does not need (.git, node_modules, build output).' },
  { id: 'dockerfile/large-context', severity: 'warn', area: 'context', autofix: 'none',
    title: 'Large build context',
    fix: 'Exclude what the build does not read in .dockerignore.' },
  { id: 'dockerfile/context-git', severity: 'warn', area: 'context', autofix: 'none',
    title: '.git is sent in the build context',
    fix: 'Add .git to .dockerignore.' },
  { id: 'dockerfile/context-node-modules', severity: 'warn', area: 'context', autofix: 'none',
    title: 'node_modules is sent in the build context',
    fix: 'Add node_modules to .dockerignore; install dependencies in the image.' },
  { id: 'dockerfile/copy-ignored', severity: 'error', area: 'context', autofix: 'none',
    title: 'COPY of a path that .dockerignore excludes: the build will not find it',
    fix: 'Remove the path from .dockerignore (or add a ! exception), or stop copying it.' },
  { id: 'dockerfile/add-remote', severity: 'warn', area: 'size', autofix: 'none',
    title: 'ADD of a remote URL: the download stays in its own layer and is fetched on every build',
    fix: 'Download with curl/wget in the RUN that uses and deletes it, or pin it with ADD --checksum.' },
  { id: 'dockerfile/add-local', severity: 'info', area: 'speed', autofix: 'safe',
    title: 'ADD of a local file or directory where COPY is enough',
    fix: 'Use COPY; keep ADD for local tar archives to extract.' },
] as const satisfies readonly RuleRow[];

export type RuleId = (typeof table)[number]['id'];

export const RULE_LIST: readonly RuleInfo[] = table.map((r: RuleRow) => ({
  ...r,
  severities: r.severities ?? [r.severity],
  meaning: r.title,
  doc: ruleDocPath(r.id),
}));

export const RULES: Readonly<Record<RuleId, RuleInfo>> = Object.fromEntries(RULE_LIST.map((r) => [r.id, r])) as Record<RuleId, RuleInfo>;

export function isRuleId(id: string): id is RuleId {
  return Object.prototype.hasOwnProperty.call(RULES, id);
}

/** docs/rules/<name>.md for an id like dockerfile/<name>. */
export function ruleDocPath(id: string): string {
  return `docs/rules/${id.slice(id.indexOf('/') + 1)}.md`;
}
