/**
 * Layer-shape rules: dockerfile/apt-update-alone, dockerfile/consecutive-run and dockerfile/layer-count
 * (overlay2 refuses images of more than 128 layers; the base image's layers count too).
 */
import type { Step } from '../../dockerfile/instruction-model.js';
import type { Evidence } from '../../findings.js';
import { commandSpan, runCommands, type Rule, type RuleContext } from '../rule-context.js';
import { LAYER_STORE_MAX_DEPTH, OVERLAY2_MAX_LOWERS } from '../../image/layer-limits.js';


const isAptUpdate = (s: Step) => runCommands(s).some((rc) => (rc.name === 'apt-get' || rc.name === 'apt') && rc.args.some((a) => a.value === 'update'));
const isAptInstall = (s: Step) => runCommands(s).some((rc) => (rc.name === 'apt-get' || rc.name === 'apt') && rc.args.some((a) => a.value === 'install' || a.value === 'upgrade' || a.value === 'dist-upgrade'));

/** A plain shell-form RUN whose script can be joined with another. */
function joinable(s: Step): boolean {
  const i = s.inst;
  if (i.keyword !== 'RUN' || i.json || i.flags.length > 0 || i.heredocs.length > 0 || i.rest.trim() === '') return false;
  const cmds = runCommands(s);
  const last = cmds[cmds.length - 1];
  return Boolean(last && (last.cmd.after === '' || last.cmd.after === '\n'));
}

export const runLayersRule: Rule = {
  ids: ['dockerfile/apt-update-alone', 'dockerfile/consecutive-run', 'dockerfile/layer-count'],
  check(ctx: RuleContext): void {
    const { model } = ctx;
    const src = model.ast.source;
    const esc = model.ast.escape;
    for (const stage of model.stages) {
      const steps = stage.steps;
      steps.forEach((step, i) => {
        if (step.inst.keyword !== 'RUN') return;
        if (isAptUpdate(step) && !isAptInstall(step)) {
          const next = steps[i + 1];
          const rc = runCommands(step).find((r) => r.args.some((a) => a.value === 'update'))!;
          let autofix;
          if (next && joinable(step) && joinable(next) && isAptInstall(next) && runCommands(step).length === 1) {
            const lineStart = src.lineStarts[step.inst.startLine]!;
            const nextLine = src.lineStarts[step.inst.endLine + 1] ?? src.text.length;
            const restAt = next.inst.map[next.inst.restStart]!;
            autofix = {
              safety: 'unsafe' as const,
              description: `move apt-get update into the RUN at line ${next.inst.startLine + 1}`,
              edits: [
                { start: lineStart, end: nextLine, text: '' },
                { start: restAt, end: restAt, text: `${step.inst.rest.trim()} && ` },
              ],
            };
          }
          ctx.report({ id: 'dockerfile/apt-update-alone', span: commandSpan(rc), evidence: [{ label: 'next instruction', value: next ? `${next.inst.keyword} at line ${next.inst.startLine + 1}` : 'none' }], ...(autofix ? { autofix } : {}) });
        }
        const prev = steps[i - 1];
        if (prev && joinable(prev) && joinable(step)) {
          const at = prev.inst.span.end;
          const restAt = step.inst.map[step.inst.restStart]!;
          ctx.report({
            id: 'dockerfile/consecutive-run',
            span: step.inst.keywordSpan,
            evidence: [{ label: 'previous RUN at line', value: prev.inst.startLine + 1 }],
            autofix: { safety: 'unsafe', description: `join with the RUN at line ${prev.inst.startLine + 1}`, edits: [{ start: at, end: restAt, text: ` && ${esc}${src.eol}    ` }] },
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
