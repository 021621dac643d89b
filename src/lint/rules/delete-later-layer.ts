/**
 * dockerfile/delete-later-layer: `rm` in a later RUN of files an earlier layer created saves nothing, the
 * bytes stay in the earlier layer. Only stages that end up in the exported image are checked.
 */
import { isWithin, resolvePath } from '../../dockerfile/instruction-model.js';
import { hasOption, operands } from '../../dockerfile/shell-command.js';
import { expandVars } from '../../dockerfile/variables.js';
import type { Evidence } from '../../findings.js';
import { commandSpan, runCommands, type Rule, type RuleContext } from '../rule-context.js';
import { copiedBytes, nearest, visitWithEarlierWrites, writesTouching, writtenEarlierInRun } from '../stage-writes.js';

export const deleteLaterLayerRule: Rule = {
  ids: ['dockerfile/delete-later-layer'],
  check(ctx: RuleContext): void {
    const { model } = ctx;
    const escape = model.ast.escape;
    visitWithEarlierWrites(model, (stage, step, _i, writes) => {
      if (step.inst.keyword !== 'RUN' || !model.exported.has(stage.index)) return;
      const cmds = runCommands(step);
      cmds.forEach((rc, index) => {
        if (rc.name !== 'rm') return;
        // Paths this RUN itself wrote before the rm (apt-get update, then rm of the lists): the rm is for them.
        const own = writtenEarlierInRun(step, index, escape);
        for (const w of operands(rc.args)) {
          const raw = expandVars(w.value, step.vars, escape);
          const path = resolvePath(raw.replace(/\/\*$/, ''), step.workdir);
          if (path === '/') continue;
          if (own.some((p) => isWithin(p, path) || isWithin(path, p))) continue;
          const earlier = writesTouching(writes, step, path);
          if (earlier.length === 0) continue;
          // the nearest write: the deepest path, then the latest step
          const first = nearest(earlier);
          const evidence: Evidence[] = [
            { label: 'path', value: path },
            { label: 'created at line', value: first.step.inst.startLine + 1 },
            { label: 'recursive', value: hasOption(rc.args, 'r', 'recursive') || hasOption(rc.args, 'R') },
          ];
          const sized = copiedBytes(first, ctx.context, isWithin(path, first.path) && path !== first.path ? path : undefined);
          if (sized) evidence.push({ label: 'bytes kept in the earlier layer', value: sized.bytes, unit: 'bytes' });
          ctx.report({ id: 'dockerfile/delete-later-layer', span: commandSpan(rc), evidence });
          break;
        }
      });
    });
  },
};
