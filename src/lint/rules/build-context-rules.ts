/**
 * Build-context rules, measured with real .dockerignore semantics: dockerfile/missing-dockerignore,
 * dockerfile/large-context, dockerfile/context-git, dockerfile/context-node-modules, dockerfile/copy-ignored.
 */
import { contextHas } from '../../dockerfile/build-context.js';
import { copyView } from '../../dockerfile/instruction-model.js';
import type { Rule, RuleContext } from '../rule-context.js';

export const buildContextRule: Rule = {
  ids: ['dockerfile/missing-dockerignore', 'dockerfile/large-context', 'dockerfile/context-git', 'dockerfile/context-node-modules', 'dockerfile/copy-ignored'],
  check(ctx: RuleContext): void {
    const bc = ctx.context;
    const { model } = ctx;
    if (!bc || model.stages.length === 0) return;
    const at = model.stages[0]!.from.keywordSpan;
    const size = [
      { label: 'context files', value: bc.files.length },
      { label: 'context bytes', value: bc.bytes, unit: 'bytes' },
    ];
    // Only where sending the context costs something: most contexts of a Dockerfile and a script are tiny.
    if (!bc.ignore && bc.bytes >= ctx.settings.dockerignoreBytes) ctx.report({ id: 'dockerfile/missing-dockerignore', span: at, evidence: [{ label: 'context', value: bc.dir }, ...size, { label: 'reported from', value: ctx.settings.dockerignoreBytes, unit: 'bytes' }], fixConfig: '.git\nnode_modules\n*.log' });
    if (bc.bytes > ctx.settings.largeContextBytes) {
      ctx.report({ id: 'dockerfile/large-context', span: at, evidence: [...size, { label: 'threshold', value: ctx.settings.largeContextBytes, unit: 'bytes' }, { label: 'excluded by .dockerignore', value: bc.excludedBytes, unit: 'bytes' }] });
    }
    if (bc.sent.git) ctx.report({ id: 'dockerfile/context-git', span: at, evidence: [{ label: '.git bytes sent', value: bc.sent.git.size, unit: 'bytes' }], fixConfig: '.git' });
    if (bc.sent.nodeModules) ctx.report({ id: 'dockerfile/context-node-modules', span: at, evidence: [{ label: 'node_modules bytes sent', value: bc.sent.nodeModules.size, unit: 'bytes' }], fixConfig: 'node_modules' });
    if (!bc.ignore) return;
    for (const stage of model.stages) {
      for (const step of stage.steps) {
        const c = copyView(step, model.ast.escape);
        if (!c || c.from !== undefined || c.heredoc) continue;
        for (const s of c.sources) {
          const path = s.text.replace(/^\.\/+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
          if (path === '' || path === '.' || /[*?[$]/.test(path) || /^[a-z]+:\/\//i.test(s.text) || s.text.startsWith('git@')) continue;
          if (bc.ignore.excludes(path) && !contextHas(bc, path)) {
            ctx.report({ id: 'dockerfile/copy-ignored', span: s.span, evidence: [{ label: 'source', value: s.text }, { label: '.dockerignore', value: 'excludes it' }] });
          }
        }
      }
    }
  },
};
