/**
 * Layer-shape rules: dockerfile/apt-update-alone, dockerfile/consecutive-run and dockerfile/layer-count
 * (overlay2 refuses images of more than 128 layers; the base image's layers count too).
 */
import type { Step } from '../../dockerfile/instruction-model.js';
import type { Evidence } from '../../findings.js';
import { commandSpan, programOf, runCommands, type Rule, type RuleContext } from '../rule-context.js';
import { andList, joinRuns } from '../run-join.js';
import { LAYER_STORE_MAX_DEPTH, OVERLAY2_MAX_LOWERS } from '../../image/layer-limits.js';


const isApt = (name: string) => name === 'apt-get' || name === 'apt';
/** apt-get update, directly or through xargs. */
const isAptUpdate = (s: Step) => runCommands(s).some((rc) => {
  const p = programOf(rc);
  return isApt(p.name) && p.args.some((a) => a.value === 'update');
});
/** Anything that reads the package lists: install and friends, directly, through xargs, or in a loop body. */
const isAptInstall = (s: Step) => runCommands(s).some((rc) => {
  const p = programOf(rc);
  return (isApt(p.name) || p.name === 'apt-cache' || p.name === 'aptitude')
    && p.args.some((a) => ['install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep', 'source', 'download', 'satisfy', 'policy', 'show', 'search', 'madison'].includes(a.value));
});

/**
 * Steps that exist on their own for the build cache: installs, downloads and builds. Two RUNs holding one of
 * these are kept apart on purpose (a change to the second does not re-run the first), so they are not joined.
 */
const CACHE_WORTHY = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'zypper', 'pip', 'pip3', 'npm', 'yarn', 'pnpm', 'gem',
  'bundle', 'composer', 'go', 'cargo', 'make', 'cmake', 'mvn', 'gradle', 'curl', 'wget', 'git', 'docker-php-ext-install', 'pecl', 'conda']);
const cacheWorthy = (s: Step) => runCommands(s).some((rc) => CACHE_WORTHY.has(programOf(rc).name) || /^pip[0-9.]*$/.test(rc.name) || /^python[0-9.]*$/.test(rc.name));
/** A one-line RUN of one &&-list: what consecutive-run is about (long scripts are split for readability). */
const oneLiner = (s: Step) => s.inst.startLine === s.inst.endLine && andList(s);

export const runLayersRule: Rule = {
  ids: ['dockerfile/apt-update-alone', 'dockerfile/consecutive-run', 'dockerfile/layer-count'],
  check(ctx: RuleContext): void {
    const { model } = ctx;
    for (const stage of model.stages) {
      const steps = stage.steps;
      steps.forEach((step, i) => {
        if (step.inst.keyword !== 'RUN') return;
        if (isAptUpdate(step) && !isAptInstall(step)) {
          const next = steps[i + 1];
          const rc = runCommands(step).find((r) => programOf(r).args.some((a) => a.value === 'update'))!;
          let autofix;
          const join = next && next.inst.keyword === 'RUN' && isAptInstall(next) && runCommands(step).length === 1 ? joinRuns(model, step, next) : undefined;
          if (join) {
            autofix = { safety: 'unsafe' as const, description: `move apt-get update into the RUN at line ${next!.inst.startLine + 1}`, edits: join.edits };
          }
          ctx.report({ id: 'dockerfile/apt-update-alone', span: commandSpan(rc), evidence: [{ label: 'next instruction', value: next ? `${next.inst.keyword} at line ${next.inst.startLine + 1}` : 'none' }], ...(autofix ? { autofix } : {}) });
        }
        const prev = steps[i - 1];
        // A RUN with its own comment above is a documented step of its own: kept apart for readability.
        if (prev && prev.inst.keyword === 'RUN' && oneLiner(prev) && oneLiner(step) && !cacheWorthy(prev) && !cacheWorthy(step)
          && step.inst.leadingComments.every((c) => /^#\s*stowage\s/i.test(c.text.trim()))) {
          const join = joinRuns(model, prev, step);
          if (!join) return;
          ctx.report({
            id: 'dockerfile/consecutive-run',
            span: step.inst.keywordSpan,
            evidence: [{ label: 'previous RUN at line', value: prev.inst.startLine + 1 }],
            autofix: { safety: 'unsafe', description: `join with the RUN at line ${prev.inst.startLine + 1}`, edits: join.edits },
          });
        }
      });
    }
    // Layer count of the exported image: its stages' layer-making instructions plus the base image's layers.
    const chain = [...model.exported].sort((a, b) => a - b);
    if (chain.length === 0) return;
    let own = 0;
    for (const s of chain) for (const st of model.stages[s]!.steps) if (['RUN', 'COPY', 'ADD'].includes(st.inst.keyword)) own++;
    const root = model.stages[chain[0]!]!;
    const base = root.base.toLowerCase() === 'scratch' ? 0 : ctx.baseLayers.get(root.base);
    const total = own + (base ?? 0);
    if (total <= ctx.settings.layerWarn) return;
    const evidence: Evidence[] = [
      { label: 'layers from this Dockerfile', value: own },
      { label: 'base image layers', value: base ?? 'unknown (engine not asked or image not present)' },
      { label: 'total', value: total },
      { label: 'overlay2 lower-dir limit', value: OVERLAY2_MAX_LOWERS },
      { label: 'engine layer-store limit', value: LAYER_STORE_MAX_DEPTH },
    ];
    const target = model.stages[model.target]!;
    ctx.report({ id: 'dockerfile/layer-count', span: target.from.keywordSpan, evidence, severity: total > LAYER_STORE_MAX_DEPTH ? 'error' : 'warn' });
  },
};
