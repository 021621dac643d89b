/** `stowage lint [Dockerfile|dir|glob…]`: parse flags, call lintFiles(options, context), render text/JSON/SARIF/GitHub. */
import { ExitCode, UsageError } from '../errors.js';
import { reachesThreshold, type Finding, type Severity } from '../findings.js';
import { CONFIG_FILE_NAMES, findLintConfig, knownRuleRef } from '../lint/lint-config.js';
import { lintFiles, type FileFix, type LintResult } from '../lint/lint-files.js';
import { RULE_LIST, ruleDocPath } from '../lint/rule-table.js';
import { renderFinding } from '../render/findings-text.js';
import type { CliContext } from './cli-context.js';
import { parseList, parseSeverity } from './cli-context.js';
import type { RegisterCommand } from './main.js';
import { parseChoiceFlag } from './option-parsers.js';
import { count } from '../units.js';

interface LintFlags {
  fix?: boolean;
  fixUnsafe?: boolean;
  diff?: boolean;
  format?: string;
  failOn?: string;
  config?: string;
  ignore?: string;
  contextDir?: string;
  skipContext?: boolean;
  buildArg: string[];
  target?: string;
  engine?: boolean;
  listRules?: boolean;
  buildkit?: boolean;
}

const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
type Format = (typeof FORMATS)[number];

const HELP = `
Exit codes: 0 no finding at or above --fail-on (after fixes), 1 findings at or above --fail-on,
2 usage error, 4 bad input (missing file, glob matching nothing, invalid config, a --target stage a file
does not have: docker build would fail), 6 a fixed file could not
be written (the original is left unchanged), 70 internal error.

Inline: "# stowage ignore=dockerfile/consecutive-run" above an instruction, "# stowage ignore-file=ID" anywhere.
Config: --config FILE or ${CONFIG_FILE_NAMES.join(' / ')} in the current directory:
  {"ignore": ["dockerfile/consecutive-run"], "severity": {"dockerfile/missing-dockerignore": "warn"},
   "largeContextBytes": 100000000, "layerWarn": 100, "dockerignoreBytes": 10000000, "buildkit": false,
   "failOn": "warn"}`;

export const registerLint: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('lint')
    .description('Dockerfile rules for build speed and image size, with safe --fix')
    .argument('[paths...]', 'Dockerfiles, directories (searched for Dockerfiles) or globs; default ./Dockerfile')
    .option('--fix', 'apply the safe fixes and write the files (atomically)')
    .option('--fix-unsafe', 'apply the safe and the unsafe fixes and write the files')
    .option('--diff', 'print the fixes as a unified diff instead of writing them (with --fix-unsafe: unsafe ones too)')
    .option('--format <format>', 'text, json, sarif or github (workflow annotations); --json is --format json')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above info, warn or error (default warn)')
    .option('--config <file>', 'lint config (JSON): ignored ids, severity overrides, thresholds')
    .option('--ignore <ids>', 'comma-separated rule ids to skip')
    .option('--context-dir <dir>', 'build context for every file (default: each Dockerfile\'s directory)')
    .option('--skip-context', 'do not read build contexts (no context rules, no byte estimates)')
    .option('--build-arg <name=value>', 'ARG value, as docker build takes it (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--target <stage>', 'the stage that is built (default: the last); a name a file does not define is a usage error (exit 2)')
    .option('--buildkit', 'the builds use BuildKit: fixes may use BuildKit-only flags (COPY --chmod); without it, only files with a # syntax= line get them')
    .option('--no-engine', 'do not ask the engine for base image layer counts')
    .option('--list-rules', 'print the rules and exit')
    .addHelpText('after', HELP)
    .action(async (paths: string[], flags: LintFlags) => {
      const c = ctx();
      const format = chooseFormat(flags.format, c.json);
      if (flags.listRules) {
        c.out(format === 'json' ? (await import('../render/json-document.js')).renderJson('lint', { rules: RULE_LIST }).trimEnd() : listRules());
        return;
      }
      const config = findLintConfig({ explicit: flags.config });
      const failOn: Severity = flags.failOn ? parseSeverity(flags.failOn, '--fail-on') : config.failOn ?? 'warn';
      const buildArgs: Record<string, string> = {};
      for (const a of flags.buildArg) {
        const eq = a.indexOf('=');
        if (eq <= 0) throw new UsageError(`--build-arg takes NAME=VALUE, not "${a}"`);
        buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
      }
      const ignored = parseList(flags.ignore);
      for (const id of ignored) if (!knownRuleRef(id)) throw new UsageError(`--ignore: unknown rule id "${id}"`, 'stowage lint --list-rules shows them');
      const fix = flags.fixUnsafe ? 'unsafe' : flags.fix || flags.diff ? 'safe' : 'none';
      const askEngine = flags.engine !== false;
      // A short limit: an engine that does not answer only costs the base-layer counts.
      const context = c.capabilityContext('lint', { engineTimeoutMs: 3000 });
      // Where the engine is, resolved now without connecting: a malformed --host, DOCKER_HOST or context is a
      // usage error (exit 2) even when no file names a base image; --no-engine never looks.
      if (askEngine) context.endpoint();
      const result = await lintFiles({
        paths,
        useContext: !flags.skipContext,
        ...(flags.contextDir ? { contextDir: flags.contextDir } : {}),
        buildArgs,
        ...(flags.target ? { target: flags.target } : {}),
        policy: { ignore: [...(config.ignore ?? []), ...ignored], ...(config.severity ? { severity: config.severity } : {}) },
        settings: {
          ...(config.largeContextBytes !== undefined ? { largeContextBytes: config.largeContextBytes } : {}),
          ...(config.layerWarn !== undefined ? { layerWarn: config.layerWarn } : {}),
          ...(config.dockerignoreBytes !== undefined ? { dockerignoreBytes: config.dockerignoreBytes } : {}),
          ...(flags.buildkit || config.buildkit ? { buildkit: true } : {}),
        },
        fix,
        write: fix !== 'none' && !flags.diff,
        askEngine,
        failOn,
      }, context).finally(() => context.progress.end());
      for (const f of result.files) {
        for (const e of f.ruleErrors ?? []) c.progress(`stowage lint: internal error in rule ${e} (${f.file}); run with STOWAGE_DEBUG=1 and report it`);
      }
      await render(c, format, result, Boolean(flags.diff));
      const all = result.files.flatMap((f) => f.findings);
      setExit(reachesThreshold(all, failOn) ? ExitCode.findings : ExitCode.ok);
    });
};

function chooseFormat(flag: string | undefined, json: boolean): Format {
  if (flag === undefined) return json ? 'json' : 'text';
  return parseChoiceFlag(flag, '--format', FORMATS);
}

/** Renderers other than text are loaded for their format only (start-up time of a lint over many files). */
async function render(c: CliContext, format: Format, result: LintResult, diff: boolean): Promise<void> {
  const all: Finding[] = result.files.flatMap((f) => f.findings);
  const fixes: FileFix[] = result.files.flatMap((f) => f.fixes);
  if (format === 'json') {
    const { renderJson } = await import('../render/json-document.js');
    c.out(renderJson('lint', result).trimEnd());
    return;
  }
  if (format === 'sarif') {
    const [{ renderSarif }, { STOWAGE_VERSION }] = await Promise.all([import('../render/sarif.js'), import('../version.js')]);
    const fixOf = new Map<Finding, FileFix>();
    for (const f of result.files) for (const x of f.fixes) fixOf.set(f.findings[x.finding]!, x);
    c.out(renderSarif(all, {
      toolName: 'stowage',
      toolVersion: STOWAGE_VERSION,
      informationUri: 'https://github.com/stowage/stowage',
      rules: RULE_LIST.map((r) => ({ id: r.id, title: r.title, fix: r.fix, severity: r.severity, helpUri: ruleDocPath(r.id) })),
      resultProperties: (f) => {
        const x = fixOf.get(f);
        return x ? { autofix: x.safety, autofixDescription: x.description } : undefined;
      },
    }).trimEnd());
    return;
  }
  if (format === 'github') {
    const { renderGithubAnnotations } = await import('../render/github-annotations.js');
    const text = renderGithubAnnotations(all);
    if (text) c.out(text.trimEnd());
    return;
  }
  const blocks: string[] = [];
  for (const f of result.files) {
    if (diff && f.fixed?.diff) blocks.push(f.fixed.diff.trimEnd());
    for (const finding of f.findings) blocks.push(renderFinding(finding, c.style));
  }
  const safe = fixes.filter((x) => x.safety === 'safe').length;
  const n = result.counts;
  let summary = `${count(result.files.length, 'file')}: ${count(n.error, 'error')}, ${count(n.warn, 'warning')}, ${n.info} info`;
  if (result.fixesApplied) summary += `; ${count(result.fixesApplied, 'fix', 'fixes')} ${diff ? 'shown' : 'applied'}`;
  if (fixes.length) summary += `; ${safe} safe fix${safe === 1 ? '' : 'es'} (--fix), ${fixes.length - safe} unsafe (--fix-unsafe)`;
  summary += ` [fail-on ${result.failOn}]`;
  blocks.push(summary);
  c.out(blocks.join('\n\n'));
}

function listRules(): string {
  const rows = RULE_LIST.map((r) => `${r.id.padEnd(36)} ${r.severity.padEnd(5)} ${r.autofix.padEnd(6)} ${r.title}`);
  return [`${'id'.padEnd(36)} ${'sev'.padEnd(5)} ${'fix'.padEnd(6)} title`, ...rows].join('\n');
}

