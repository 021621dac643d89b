/**
 * dockerfile/package-cache: a package manager's cache or index left in a layer of the exported image,
 * unless a cache mount covers it or the same RUN cleans it. Table-driven: one row per manager.
 */
import { coveredByCacheMount, type DockerfileModel, type Stage, type Step } from '../../dockerfile/instruction-model.js';
import { hasOption } from '../../dockerfile/shell-command.js';
import type { Evidence } from '../../findings.js';
import { programOf, runCommands, runFacts, type LintFix, type Rule, type RuleContext, type RunCommand } from '../rule-context.js';

interface Manager {
  name: string;
  /** Is this command an install that fills the cache? */
  installs(rc: RunCommand): boolean;
  /** Is this command (in the same RUN) a cleanup of the cache? */
  cleans(rc: RunCommand): boolean;
  /** The cache directory a cache mount should target. */
  cachePath: string;
  /** Extra mount options (apt needs sharing=locked). */
  mountOptions?: string;
  /** ENV settings that disable the cache. */
  disabledBy?: (vars: Map<string, string>) => boolean;
  /** The suggested cache mount line and any extra step. */
  mountAdvice: string;
  /** A fix in the RUN itself: an option to add after the subcommand, or a cleanup to append. */
  option?: { after: string; text: string };
  cleanup?: string;
}

const sub = (rc: RunCommand) => rc.args.find((a) => !a.value.startsWith('-'))?.value ?? '';
const removes = (rc: RunCommand, ...paths: string[]) =>
  rc.name === 'rm' && rc.args.some((a) => paths.some((p) => a.value === p || a.value.startsWith(`${p}/`) || a.value === `${p}*`));

export const MANAGERS: readonly Manager[] = [
  {
    name: 'apt-get',
    // The lists come from `update`; .deb archives are removed by Debian's and Ubuntu's docker-clean apt config.
    installs: (rc) => (rc.name === 'apt-get' || rc.name === 'apt') && sub(rc) === 'update',
    // `apt-get dist-clean` (apt >= 2.7) removes the lists too: how Debian images clean up now
    cleans: (rc) => removes(rc, '/var/lib/apt/lists') || ((rc.name === 'apt-get' || rc.name === 'apt') && sub(rc) === 'dist-clean'),
    cachePath: '/var/lib/apt/lists',
    mountOptions: 'sharing=locked',
    mountAdvice: 'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked (and remove /etc/apt/apt.conf.d/docker-clean first)',
    cleanup: 'rm -rf /var/lib/apt/lists/*',
  },
  {
    name: 'apk',
    // --no-network fetches no index, so none is cached
    installs: (rc) => rc.name === 'apk' && (sub(rc) === 'add' || sub(rc) === 'update') && !hasOption(rc.args, '\0', 'no-cache') && !hasOption(rc.args, '\0', 'no-network'),
    cleans: (rc) => removes(rc, '/var/cache/apk') || (rc.name === 'apk' && sub(rc) === 'cache' && rc.args.some((a) => a.value === 'clean')),
    cachePath: '/var/cache/apk',
    mountAdvice: 'RUN --mount=type=cache,target=/var/cache/apk apk add …, or apk add --no-cache',
    option: { after: 'add', text: '--no-cache' },
  },
  {
    name: 'pip',
    installs: (rc) => (/^pip[0-9.]*$/.test(rc.name) || (/^python[0-9.]*$/.test(rc.name) && rc.args[0]?.value === '-m' && /^pip/.test(rc.args[1]?.value ?? '')))
      && rc.args.some((a) => a.value === 'install') && !hasOption(rc.args, '\0', 'no-cache-dir'),
    cleans: (rc) => removes(rc, '/root/.cache/pip', '/root/.cache') || (/^pip/.test(rc.name) && sub(rc) === 'cache' && rc.args.some((a) => a.value === 'purge')),
    cachePath: '/root/.cache/pip',
    disabledBy: (v) => ['1', 'true', 'on', 'yes', 'off', 'false', '0'].includes((v.get('PIP_NO_CACHE_DIR') ?? '').toLowerCase()),
    mountAdvice: 'RUN --mount=type=cache,target=/root/.cache/pip pip install …, or pip install --no-cache-dir',
    option: { after: 'install', text: '--no-cache-dir' },
  },
  {
    name: 'npm',
    installs: (rc) => rc.name === 'npm' && ['install', 'i', 'ci', 'add'].includes(sub(rc)),
    cleans: (rc) => (rc.name === 'npm' && sub(rc) === 'cache') || removes(rc, '/root/.npm'),
    cachePath: '/root/.npm',
    disabledBy: (v) => v.has('npm_config_cache') && /^\/tmp/.test(v.get('npm_config_cache')!),
    mountAdvice: 'RUN --mount=type=cache,target=/root/.npm npm ci',
    cleanup: 'npm cache clean --force',
  },
  {
    name: 'yarn',
    // bare `yarn` (or with options only) installs; `yarn --version` and `yarn --help` do not
    installs: (rc) => rc.name === 'yarn' && (rc.args.length === 0 || ['install', 'add'].includes(sub(rc))
      || (rc.args.every((a) => a.value.startsWith('-')) && !rc.args.some((a) => ['--version', '-v', '--help', '-h'].includes(a.value)))),
    cleans: (rc) => (rc.name === 'yarn' && sub(rc) === 'cache') || removes(rc, '/usr/local/share/.cache/yarn'),
    cachePath: '/usr/local/share/.cache/yarn',
    mountAdvice: 'RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile',
    cleanup: 'yarn cache clean',
  },
  {
    name: 'yum',
    installs: (rc) => (rc.name === 'yum' || rc.name === 'dnf' || rc.name === 'microdnf') && ['install', 'update', 'upgrade', 'groupinstall'].includes(sub(rc)),
    cleans: (rc) => ((rc.name === 'yum' || rc.name === 'dnf' || rc.name === 'microdnf') && sub(rc) === 'clean') || removes(rc, '/var/cache/yum', '/var/cache/dnf'),
    cachePath: '/var/cache/dnf',
    mountAdvice: 'RUN --mount=type=cache,target=/var/cache/dnf dnf install … (or yum clean all in the same RUN)',
    cleanup: 'CLEAN all',
  },
  {
    name: 'zypper',
    installs: (rc) => rc.name === 'zypper' && ['install', 'in', 'update', 'up'].includes(sub(rc)),
    cleans: (rc) => (rc.name === 'zypper' && (sub(rc) === 'clean' || sub(rc) === 'cc')) || removes(rc, '/var/cache/zypp'),
    cachePath: '/var/cache/zypp',
    mountAdvice: 'RUN --mount=type=cache,target=/var/cache/zypp zypper install …',
    cleanup: 'zypper clean -a',
  },
];

export const packageCacheRule: Rule = {
  ids: ['dockerfile/package-cache'],
  check(ctx: RuleContext): void {
    const { model } = ctx;
    for (const stage of model.stages) {
      if (!model.exported.has(stage.index)) continue;
      stage.steps.forEach((step, idx) => {
        if (step.inst.keyword !== 'RUN') return;
        const cmds = runCommands(step);
        for (const m of MANAGERS) {
          const install = cmds.find((rc) => m.installs(rc));
          if (!install) continue;
          if (cmds.some((rc) => m.cleans(rc))) continue;
          if (coveredByCacheMount(step.inst, m.cachePath)) continue;
          if (m.disabledBy?.(step.vars)) continue;
          const evidence: Evidence[] = [
            { label: 'package manager', value: install.name },
            { label: 'cache', value: m.cachePath },
          ];
          // An added option (pip --no-cache-dir) takes nothing a later pip needs; apk --no-cache drops the index.
          const later = (m.option && m.name !== 'apk') ? false : usedLater(model, stage, idx, install.name);
          const autofix = later ? undefined : fixFor(m, install, step);
          ctx.report({
            id: 'dockerfile/package-cache',
            span: { start: install.script.toFile(install.cmd.start), end: install.script.toFile(install.cmd.end - 1) + 1 },
            evidence,
            fixCommands: [m.mountAdvice],
            ...(autofix ? { autofix } : {}),
          });
        }
      });
    }
  },
};

/** Same-family programs: a later one may read the cache or index this RUN would clean. */
const FAMILY: Record<string, readonly string[]> = {
  'apt-get': ['apt-get', 'apt', 'apt-cache', 'aptitude'], apt: ['apt-get', 'apt', 'apt-cache', 'aptitude'],
  yum: ['yum', 'dnf', 'microdnf'], dnf: ['yum', 'dnf', 'microdnf'], microdnf: ['yum', 'dnf', 'microdnf'],
};

/**
 * A later RUN of this stage (or of a stage built FROM it) runs the same package manager: it may rely on the
 * index or cache this RUN leaves (`apt-get install` without `update`, `npm ci --offline`), so no fix is offered.
 */
function usedLater(model: DockerfileModel, stage: Stage, idx: number, program: string): boolean {
  const family = FAMILY[program] ?? [program];
  const uses = (s: Step) => runCommands(s).some((rc) => family.includes(programOf(rc).name) || (/^pip/.test(program) && /^(pip[0-9.]*|python[0-9.]*)$/.test(rc.name)));
  if (stage.steps.slice(idx + 1).some(uses)) return true;
  const children = (i: number): Stage[] => model.stages.filter((s) => s.baseStage === i);
  const queue = children(stage.index);
  while (queue.length) {
    const s = queue.shift()!;
    if (s.steps.some(uses)) return true;
    queue.push(...children(s.index));
  }
  return false;
}

/**
 * The fix in the RUN itself: an option after the subcommand, or a cleanup appended with `&&` to the script's
 * last AND-OR list (its failure still fails the RUN, whatever `set -e` says). Withheld when a comment reaching
 * the shell would swallow the appended text, or the script ends in exit/exec (the cleanup would never run).
 */
function fixFor(m: Manager, install: RunCommand, step: Step): LintFix | undefined {
  if (!install.script.inline) return undefined;
  if (m.option) {
    const subWord = install.args.find((a) => a.value === m.option!.after);
    if (!subWord) return undefined;
    const at = install.script.toFile(subWord.end - 1) + 1;
    return { safety: 'safe', description: `add ${m.option.text} to ${install.name} ${m.option.after}`, edits: [{ start: at, end: at, text: ` ${m.option.text}` }] };
  }
  if (m.cleanup) {
    const facts = runFacts(step);
    if (facts.comment || step.inst.heredocs.length > 0 || step.inst.json) return undefined;
    const cmds = runCommands(step);
    const last = cmds[cmds.length - 1]!;
    if (last.script !== install.script || last.cmd.after !== '') return undefined;
    if (['exit', 'exec', 'return'].includes(last.cmd.words[0]!.value)) return undefined;
    const cleanup = m.cleanup.replace('CLEAN', install.name === 'microdnf' ? 'microdnf clean' : `${install.name} clean`);
    const at = last.script.toFile(last.cmd.end - 1) + 1;
    return { safety: 'safe', description: `append && ${cleanup} to the RUN`, edits: [{ start: at, end: at, text: ` && ${cleanup}` }] };
  }
  return undefined;
}
