/** dockerfile/syntax: what the parser could not take as a Dockerfile, and instructions missing arguments. */
import type { Evidence } from '../../findings.js';
import type { Rule, RuleContext } from '../rule-context.js';

export const KNOWN_INSTRUCTIONS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT',
  'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
const NEEDS_ARGS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
/** Past this many, one finding says how many more there are: garbage files stay readable. */
const MAX_REPORTED = 20;

export const syntaxRule: Rule = {
  ids: ['dockerfile/syntax'],
  check(ctx: RuleContext): void {
    const { ast } = ctx.model;
    let reported = 0;
    let skipped = 0;
    const report = (span: { start: number; end: number }, evidence: Evidence[]) => {
      if (reported >= MAX_REPORTED) {
        skipped++;
        return;
      }
      reported++;
      ctx.report({ id: 'dockerfile/syntax', span, evidence });
    };
    for (const p of ast.problems) {
      if (p.kind === 'empty-continuation') continue;
      report(p.span, [{ label: 'problem', value: p.message }]);
    }
    let sawFrom = false;
    for (const inst of ast.instructions) {
      const kw = inst.keyword;
      if (!KNOWN_INSTRUCTIONS.has(kw)) {
        report(inst.keywordSpan, [{ label: 'problem', value: `unknown instruction "${printable(kw)}"` }]);
        continue;
      }
      if (kw === 'FROM') sawFrom = true;
      else if (!sawFrom && kw !== 'ARG') report(inst.keywordSpan, [{ label: 'problem', value: `${kw} before the first FROM` }]);
      const empty = inst.rest.trim() === '' && inst.flags.length === 0 && inst.heredocs.length === 0;
      if (NEEDS_ARGS.has(kw) && empty) report(inst.keywordSpan, [{ label: 'problem', value: `${kw} needs arguments` }]);
      else if ((kw === 'COPY' || kw === 'ADD') && inst.heredocs.length === 0 && !inst.json && inst.rest.trim().split(/\s+/).length < 2) {
        report(inst.keywordSpan, [{ label: 'problem', value: `${kw} needs a source and a destination` }]);
      }
    }
    if (ast.instructions.length > 0 && !sawFrom && ast.problems.every((p) => p.kind !== 'binary')) {
      report(ast.instructions[0]!.keywordSpan, [{ label: 'problem', value: 'no FROM instruction' }]);
    }
    if (skipped > 0 && reported > 0) {
      const last = ast.instructions[ast.instructions.length - 1]!;
      ctx.report({ id: 'dockerfile/syntax', span: last.keywordSpan, evidence: [{ label: 'problem', value: `${skipped} more syntax problems not listed` }] });
    }
  },
};

function printable(s: string): string {
  const t = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return t.replace(/[^\x20-\x7e]/g, '?');
}
