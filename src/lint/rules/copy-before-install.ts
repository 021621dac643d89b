/**
 * dockerfile/copy-before-install: `COPY . .` (or the source tree) before the dependency install makes every
 * source change invalidate the install's cache. The fix copies the manifests and lockfiles first; it is
 * offered (unsafe: the layers and their cache change) when those files exist in the build context and the
 * install provably reads only them (readsOnlyManifests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextHas } from '../../dockerfile/build-context.js';
import { copyView, type Step } from '../../dockerfile/instruction-model.js';
import { operands } from '../../dockerfile/shell-command.js';
import { runCommands, type Rule, type RuleContext, type RunCommand, type TextEdit } from '../rule-context.js';

interface Ecosystem {
  name: string;
  matches(rc: RunCommand): boolean;
  /** The install only needs the manifests (so the reordering is possible). */
  manifestOnly(rc: RunCommand): boolean;
  /** First is required in the context for an autofix; the rest are copied when present. */
  manifests(rc: RunCommand): string[];
}

const first = (rc: RunCommand) => operands(rc.args)[0]?.value ?? '';

export const ECOSYSTEMS: readonly Ecosystem[] = [
  { name: 'npm', matches: (rc) => rc.name === 'npm' && ['install', 'i', 'ci'].includes(first(rc)), manifestOnly: () => true,
    manifests: () => ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc'] },
  { name: 'yarn', matches: (rc) => rc.name === 'yarn' && (first(rc) === '' || first(rc) === 'install'), manifestOnly: () => true,
    manifests: () => ['package.json', 'yarn.lock', '.yarnrc.yml', '.yarnrc', '.yarn'] },
  { name: 'pnpm', matches: (rc) => rc.name === 'pnpm' && ['install', 'i'].includes(first(rc)), manifestOnly: () => true,
    manifests: () => ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc'] },
  { name: 'pip', matches: (rc) => /^pip[0-9.]*$/.test(rc.name) && first(rc) === 'install',
    manifestOnly: (rc) => rc.args.some((a) => a.value === '-r' || a.value.startsWith('--requirement')),
    manifests: (rc) => {
      const i = rc.args.findIndex((a) => a.value === '-r' || a.value === '--requirement');
      return [i >= 0 ? rc.args[i + 1]?.value ?? 'requirements.txt' : 'requirements.txt'];
    } },
  { name: 'poetry', matches: (rc) => rc.name === 'poetry' && first(rc) === 'install',
    manifestOnly: (rc) => rc.args.some((a) => a.value === '--no-root'), manifests: () => ['pyproject.toml', 'poetry.lock'] },
  { name: 'pipenv', matches: (rc) => rc.name === 'pipenv' && first(rc) === 'install', manifestOnly: () => true, manifests: () => ['Pipfile', 'Pipfile.lock'] },
  { name: 'bundler', matches: (rc) => rc.name === 'bundle' && (first(rc) === 'install' || first(rc) === ''), manifestOnly: () => true,
    manifests: () => ['Gemfile', 'Gemfile.lock'] },
  { name: 'go', matches: (rc) => rc.name === 'go' && (first(rc) === 'build' || first(rc) === 'mod' || first(rc) === 'install'),
    manifestOnly: (rc) => first(rc) === 'mod', manifests: () => ['go.mod', 'go.sum'] },
  { name: 'cargo', matches: (rc) => rc.name === 'cargo' && ['build', 'install', 'fetch'].includes(first(rc)),
    manifestOnly: (rc) => first(rc) === 'fetch', manifests: () => ['Cargo.toml', 'Cargo.lock'] },
  { name: 'maven', matches: (rc) => (rc.name === 'mvn' || rc.name === 'mvnw'), manifestOnly: (rc) => rc.args.some((a) => a.value.startsWith('dependency:')),
    manifests: () => ['pom.xml'] },
  { name: 'gradle', matches: (rc) => rc.name === 'gradle' || rc.name === 'gradlew', manifestOnly: () => false,
    manifests: () => ['build.gradle', 'settings.gradle', 'build.gradle.kts', 'settings.gradle.kts', 'gradle.properties'] },
  { name: 'composer', matches: (rc) => rc.name === 'composer' && first(rc) === 'install', manifestOnly: (rc) => rc.args.some((a) => a.value === '--no-scripts'),
    manifests: () => ['composer.json', 'composer.lock'] },
];

function isBroad(sources: string[]): boolean {
  return sources.length > 0 && sources.some((s) => s === '.' || s === './' || s === '*' || s === './*');
}

export const copyBeforeInstallRule: Rule = {
  ids: ['dockerfile/copy-before-install'],
  check(ctx: RuleContext): void {
    const { model } = ctx;
    const escape = model.ast.escape;
    for (const stage of model.stages) {
      let broad: Step | undefined;
      const copied = new Set<string>();
      for (const step of stage.steps) {
        const copy = copyView(step, escape);
        if (copy && copy.from === undefined && !copy.heredoc) {
          const srcs = copy.sources.map((s) => s.text);
          if (isBroad(srcs)) {
            broad ??= step;
          } else {
            for (const s of srcs) copied.add(s.replace(/^\.\//, '').replace(/\*$/, ''));
          }
          continue;
        }
        if (step.inst.keyword !== 'RUN' || !broad) continue;
        const rc = runCommands(step).find((r) => ECOSYSTEMS.some((e) => e.matches(r)));
        if (!rc) continue;
        const eco = ECOSYSTEMS.find((e) => e.matches(rc))!;
        const manifests = eco.manifests(rc);
        // Manifests copied on their own before the broad COPY: the cache is already right.
        if (manifests.some((m) => [...copied].some((c) => c !== '' && (m === c || m.startsWith(c))))) {
          broad = undefined;
          continue;
        }
        const broadCopy = copyView(broad, escape)!;
        const present = ctx.context ? manifests.filter((m) => contextHas(ctx.context!, m)) : [];
        let autofix;
        if (ctx.context && eco.manifestOnly(rc) && present.includes(manifests[0]!) && broadCopy.dest && readsOnlyManifests(ctx.context.dir, eco.name, rc, present)) {
          autofix = { safety: 'unsafe' as const, description: `copy ${present.join(', ')} first, then the rest after the install`, edits: reorder(ctx, broad, step, present, broadCopy.dest.text) };
        }
        ctx.report({
          id: 'dockerfile/copy-before-install',
          span: broad.inst.span.end - broad.inst.span.start > 0 ? { start: broad.inst.span.start, end: broad.inst.span.end } : broad.inst.keywordSpan,
          evidence: [
            { label: 'package manager', value: eco.name },
            { label: 'install at line', value: step.inst.startLine + 1 },
            { label: 'manifests', value: manifests.join(' ') },
          ],
          fixCommands: [`COPY ${(present.length ? present : manifests.slice(0, 2)).join(' ')} ${dirOf(broadCopy.dest?.text ?? './')}`],
          ...(autofix ? { autofix } : {}),
        });
        broad = undefined;
      }
    }
  },
};

function reorder(ctx: RuleContext, broad: Step, install: Step, manifests: string[], dest: string): TextEdit[] {
  const src = ctx.model.ast.source;
  const eol = src.eol;
  const broadStart = src.lineStarts[broad.inst.startLine]!;
  const broadNext = broad.inst.endLine + 1 < src.lineCount ? src.lineStarts[broad.inst.endLine + 1]! : src.text.length;
  const broadText = src.text.slice(broadStart, src.lineEnd(broad.inst.endLine));
  const installEnd = src.lineEnd(install.inst.endLine);
  // The manifests COPY keeps the broad COPY's flags (--chown, --chmod, --link) so owners stay the same.
  const flags = broad.inst.flags.map((f) => src.text.slice(f.span.start, f.span.end)).join(' ');
  return [
    { start: broadStart, end: broadNext, text: `COPY ${flags ? `${flags} ` : ''}${manifests.join(' ')} ${dirOf(dest)}${eol}` },
    { start: installEnd, end: installEnd, text: `${eol}${broadText}` },
  ];
}

function dirOf(dest: string): string {
  return dest.endsWith('/') ? dest : `${dest}/`;
}

/**
 * The install provably reads nothing but its manifests, so running it before the sources are copied builds
 * the same thing: no npm lifecycle script (unless --ignore-scripts), no local or editable requirement, no
 * gemspec or path gem, no path package in a Pipfile. When unsure, no fix is offered.
 */
function readsOnlyManifests(dir: string, eco: string, rc: RunCommand, present: string[]): boolean {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  if (eco === 'npm' || eco === 'yarn' || eco === 'pnpm') {
    if (rc.args.some((a) => a.value === '--ignore-scripts')) return true;
    try {
      const pkg = JSON.parse(read('package.json') ?? '') as { scripts?: Record<string, unknown>; workspaces?: unknown };
      const scripts = Object.keys(pkg.scripts ?? {});
      return pkg.workspaces === undefined && !scripts.some((k) => ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish', 'preprepare', 'postprepare', 'dependencies'].includes(k));
    } catch {
      return false;
    }
  }
  if (eco === 'pip') {
    return present.every((f) => !/^\s*(-e|--editable|-r|-c|\.|\/|file:)|@\s*file:/m.test(read(f) ?? '-e'));
  }
  if (eco === 'bundler') return !/^\s*gemspec\b|path:|:path\s*=>/m.test(read('Gemfile') ?? 'gemspec');
  if (eco === 'pipenv') return !/\bpath\s*=/.test(read('Pipfile') ?? 'path =');
  return true;
}
