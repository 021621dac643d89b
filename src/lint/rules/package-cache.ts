/**
 * dockerfile/package-cache: a package manager's cache or index left in a layer of the exported image,
 * unless a cache mount covers it or the same RUN cleans it. Table-driven: one row per manager.
 */
import { coveredByCacheMount } from '../../dockerfile/instruction-model.js';
import { hasOption } from '../../dockerfile/shell-command.js';
import type { Evidence } from '../../findings.js';
import { runCommands, type LintFix, type Rule, type RuleContext, type RunCommand } from '../rule-context.js';

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
    installs: (rc) => (rc.name === 'apt-get' || rc.name === 'apt') && (sub(rc) === 'update' || sub(rc) === 'install'),
    cleans: (rc) => removes(rc, '/var/lib/apt/lists'),
    cachePath: '/var/lib/apt/lists',
    mountOptions: 'sharing=locked',
    mountAdvice: 'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked (and remove /etc/apt/apt.conf.d/docker-clean first)',
    cleanup: 'rm -rf /var/lib/apt/lists/*',
  },
  {
    name: 'apk',
    installs: (rc) => rc.name === 'apk' && (sub(rc) === 'add' || sub(rc) === 'update') && !hasOption(rc.args, '\0', 'no-cache'),
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
    installs: (rc) => rc.name === 'yarn' && (rc.args.length === 0 || ['install', 'add'].includes(sub(rc)) || rc.args.every((a) => a.value.startsWith('-'))),
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
      const laterStages = model.stages.some((s) => s.baseStage === stage.index);
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
          const usedLater = laterStages || stage.steps.slice(idx + 1).some((s) => runCommands(s).some((rc) => m.installs(rc) || rc.name === install.name));
          const autofix = fixFor(m, install, cmds, usedLater);
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

function fixFor(m: Manager, install: RunCommand, cmds: RunCommand[], usedLater: boolean): LintFix | undefined {
  if (!install.script.inline) return undefined;
  if (m.option) {
    const subWord = install.args.find((a) => a.value === m.option!.after);
    if (!subWord) return undefined;
    const at = install.script.toFile(subWord.end - 1) + 1;
    // apk --no-cache also drops the index a later `apk add` in another RUN would need
    const safety = m.name === 'apk' && usedLater ? 'unsafe' : 'safe';
    return { safety, description: `add ${m.option.text} to ${install.name} ${m.option.after}`, edits: [{ start: at, end: at, text: ` ${m.option.text}` }] };
  }
  if (m.cleanup) {
    const last = cmds.filter((c) => c.script === install.script).pop()!;
    if (last.cmd.after !== '' && last.cmd.after !== '\n') return undefined;
    const cleanup = m.cleanup.replace('CLEAN', install.name === 'microdnf' ? 'microdnf clean' : `${install.name} clean`);
    const at = last.script.toFile(last.cmd.end - 1) + 1;
    // Removing apt lists breaks a later `apt-get install` that skips `update`; only safe when none follows.
    const safety = m.name === 'apt-get' && usedLater ? 'unsafe' : 'safe';
    return { safety, description: `append && ${cleanup} to the RUN`, edits: [{ start: at, end: at, text: ` && ${cleanup}` }] };
  }
  return undefined;
}
