/** dockerfile/add-remote and dockerfile/add-local: ADD where a cheaper or plainer form exists. */
import { existsSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { copyView } from '../../dockerfile/instruction-model.js';
import type { Rule, RuleContext } from '../rule-context.js';

const REMOTE = /^(https?|ftp):\/\//i;
const GIT = /^(git@|https?:\/\/.*\.git(#.*)?$)/i;
/** ADD extracts local tar archives (by content; these are the usual names). */
const ARCHIVE = /\.(tar|tgz|tbz2?|txz|tzst|tlz)$|\.tar\.(gz|bz2|xz|zst|lz|lzma|Z)$|\.(gz|bz2|xz|zst)$/i;
/** Extensions that are never tar archives, so ADD of them is a plain copy even without the context at hand. */
const PLAIN = /\.(sh|bash|py|rb|js|mjs|cjs|ts|json|ya?ml|toml|ini|conf|cfg|txt|md|html?|css|xml|properties|env|go|rs|java|jar|war|zip|php|pl|lua|sql|crt|pem|key|csv|svg|png|jpe?g|gif|ico|lock|service|desktop)$/i;

export const addRules: Rule = {
  ids: ['dockerfile/add-remote', 'dockerfile/add-local'],
  check(ctx: RuleContext): void {
    const { model } = ctx;
    for (const stage of model.stages) {
      for (const step of stage.steps) {
        if (step.inst.keyword !== 'ADD') continue;
        const view = copyView(step, model.ast.escape);
        if (!view || view.heredoc || view.sources.length === 0) continue;
        // BuildKit removes quotes from ADD's words (`ADD "https://…git#ref" /src`); the parse here may keep them.
        const c = { ...view, sources: view.sources.map((s) => ({ ...s, text: unquote(s.text) })), dest: view.dest && { ...view.dest, text: unquote(view.dest.text) } };
        const remote = c.sources.filter((s) => REMOTE.test(s.text) && !GIT.test(s.text));
        if (remote.length > 0) {
          const archive = remote.some((s) => ARCHIVE.test(s.text.replace(/[?#].*$/, '')));
          ctx.report({
            id: 'dockerfile/add-remote',
            span: remote[0]!.span,
            evidence: [
              { label: 'url', value: remote[0]!.text },
              { label: 'pinned with --checksum', value: c.from === undefined && step.inst.flags.some((f) => f.name === 'checksum') },
              ...(archive ? [{ label: 'archive', value: 'ADD does not extract remote archives: it stays in the layer' }] : []),
            ],
            fixCommands: [downloadAdvice(remote[0]!.text, c.dest?.text ?? '/dest', archive)],
          });
          continue;
        }
        if (c.sources.some((s) => GIT.test(s.text) || s.text.includes('$') || /^[a-z][a-z0-9+.-]*:\/\//i.test(s.text))) continue;
        if (c.from !== undefined) continue;
        // flags COPY does not take the same way
        if (step.inst.flags.some((f) => !['chown', 'chmod', 'link'].includes(f.name))) continue;
        const plain = c.sources.every((s) => isPlain(ctx, s.text));
        const archive = c.sources.some((s) => ARCHIVE.test(s.text));
        if (archive) continue;
        const kw = step.inst.keywordSpan;
        ctx.report({
          id: 'dockerfile/add-local',
          span: kw,
          evidence: [{ label: 'sources', value: c.sources.map((s) => s.text).join(' ') }],
          autofix: { safety: plain ? 'safe' : 'unsafe', description: 'ADD → COPY', edits: [{ start: kw.start, end: kw.end, text: 'COPY' }] },
        });
      }
    }
  },
};

/** Known not to be a tar archive: a directory in the context, or a file with a plain extension. */
function isPlain(ctx: RuleContext, source: string): boolean {
  if (ctx.context && !/[*?[]/.test(source)) {
    const p = join(ctx.context.dir, source);
    try {
      if (existsSync(p) && statSync(p).isDirectory()) return true;
    } catch {
      // fall back to the name
    }
  }
  return PLAIN.test(source) || source === '.' || source === './';
}

function unquote(s: string): string {
  return s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0] ? s.slice(1, -1) : s;
}

/**
 * What to write instead of ADD URL DEST: download in the RUN that uses it. For an archive, the RUN that
 * extracts it (ADD does not extract remote archives), into DEST's directory when DEST names a file.
 */
export function downloadAdvice(url: string, dest: string, archive: boolean): string {
  if (!archive) return `RUN wget -O ${dest.endsWith('/') ? `${dest}${basename(url.replace(/[?#].*$/, ''))}` : dest} ${url} && … (in the RUN that uses it)`;
  const bare = url.replace(/[?#].*$/, '');
  const dir = dest.endsWith('/') ? dest.replace(/(.)\/+$/, '$1') : posix.dirname(dest);
  const z = /\.(tgz|gz)$/i.test(bare) ? 'z' : /\.(tbz2?|bz2)$/i.test(bare) ? 'j' : /\.(txz|xz)$/i.test(bare) ? 'J' : '';
  const zstd = /\.(tzst|zst)$/i.test(bare) ? ' --zstd' : '';
  return `RUN ${dir === '/' ? '' : `mkdir -p ${dir} && `}wget -O- ${url} | tar -x${z}${zstd} -C ${dir} (when the archive is meant to be extracted)`;
}
