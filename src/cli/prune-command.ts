/** `stowage prune`: flags and the config file's prune section in, the plan (and with --apply its result) out. */
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/config-file.js';
import { ExitCode, InterruptedError, RefusedError, UsageError } from '../errors.js';
import { applyPrunePlan, namedVolumesIn, planOrResume, type PruneResult } from '../prune/prune.js';
import {
  DEFAULT_BUILD_CACHE_UNTIL_MS, IMAGE_MODES, parseLabelRule, PRUNE_PHASES, VOLUME_MODES, type LabelRule, type PruneOptions,
} from '../prune/prune-options.js';
import { renderJson } from '../render/json-document.js';
import { renderPruneText } from '../render/prune-text.js';
import type { CliContext } from './cli-context.js';
import { parseChoiceFlag, parseChoiceListFlag, parseDurationFlag, parseNumberFlag, parsePercentFlag, parseSizeFlag } from './option-parsers.js';
import type { RegisterCommand } from './main.js';

interface PruneFlags {
  apply?: boolean;
  yes?: boolean;
  images: string;
  volumes: string;
  networks?: boolean;
  skip?: string;
  buildCacheUntil?: string;
  keepStorage?: string;
  journal?: string;
  keepLabel: string[];
  keepImage: string[];
  keepRecent?: string;
  keepSince?: string;
  untilFree?: string;
  untilUsed?: string;
  config?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function labelRule(text: string, where: string): LabelRule {
  const rule = parseLabelRule(text);
  if (!rule) throw new UsageError(`${where} takes key or key=value, not "${text}"`);
  return rule;
}

/** Flags win over the config file; protections from both add up. */
export function pruneOptionsFrom(flags: PruneFlags): PruneOptions {
  const config = loadConfig({ explicit: flags.config }).prune ?? {};
  const keepRecent = flags.keepRecent !== undefined ? parseNumberFlag(flags.keepRecent, '--keep-recent', { integer: true, min: 0 }) : config.keepRecent;
  const keepSinceMs = flags.keepSince !== undefined ? parseDurationFlag(flags.keepSince, '--keep-since', 'h') : config.keepSinceMs;
  const buildCacheUntilMs = flags.buildCacheUntil !== undefined ? parseDurationFlag(flags.buildCacheUntil, '--build-cache-until', 'h')
    : config.buildCacheUntilMs ?? DEFAULT_BUILD_CACHE_UNTIL_MS;
  if (flags.untilFree !== undefined && flags.untilUsed !== undefined) throw new UsageError('--until-free and --until-used are one target: give one of them');
  const images = parseChoiceFlag(flags.images, '--images', IMAGE_MODES);
  return {
    ...(flags.untilFree !== undefined ? { untilFree: parsePercentFlag(flags.untilFree, '--until-free') } : {}),
    ...(flags.untilUsed !== undefined ? { untilUsed: parsePercentFlag(flags.untilUsed, '--until-used') } : {}),
    images,
    volumes: parseChoiceFlag(flags.volumes, '--volumes', VOLUME_MODES),
    networks: flags.networks ?? false,
    skip: parseChoiceListFlag(flags.skip, '--skip', PRUNE_PHASES),
    buildCacheUntilMs,
    ...(flags.keepStorage !== undefined ? { buildCacheKeepBytes: parseSizeFlag(flags.keepStorage, '--keep-storage') } : {}),
    ...(flags.journal !== undefined ? { journal: flags.journal } : {}),
    protect: {
      labels: [...(config.protect?.labels ?? []).map((l) => labelRule(l, 'prune.protect.labels')), ...flags.keepLabel.map((l) => labelRule(l, '--keep-label'))],
      images: [...(config.protect?.images ?? []), ...flags.keepImage],
      volumes: config.protect?.volumes ?? [],
      ...(keepRecent !== undefined ? { keepRecent } : {}),
      ...(keepSinceMs !== undefined ? { keepSinceMs } : {}),
    },
    apply: flags.apply ?? false,
    confirmNamedVolumes: flags.yes ?? false,
  };
}

/** Named volumes go only with --yes, or after the user types "yes" on a terminal. */
async function confirmNamed(c: CliContext, named: string[]): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Remove ${named.length} named volume${named.length === 1 ? '' : 's'} (${named.join(', ')})? Type "yes" to go on: `);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
    c.progress('');
  }
}

export const registerPrune: RegisterCommand = (program, ctx, setExit) => {
  program.command('prune')
    .description('clean up unused containers, images, build cache, volumes and networks: planned first, never what is in use or protected')
    .option('--apply', 'remove what the plan lists (without it, only the plan is printed)')
    .option('-y, --yes', 'with --volumes all: remove named volumes without asking')
    .option('--images <mode>', `images to plan: ${IMAGE_MODES.join(', ')} (unused: every image no kept container uses)`, 'dangling')
    .option('--volumes <mode>', `unused volumes to plan: ${VOLUME_MODES.join(', ')} (all includes named volumes)`, 'none')
    .option('--networks', 'also plan unused custom networks')
    .option('--skip <phases>', `leave phases out (comma-separated: ${PRUNE_PHASES.join(', ')})`)
    .option('--build-cache-until <duration>', 'build cache used within this long stays (24h, 30m; 0: every record no build uses)')
    .option('--keep-storage <size>', 'build cache budget, as docker builder prune --keep-storage: of the records past --build-cache-until, the least recently used go only until the cache is at most this (10GB)')
    .option('--journal <file>', 'with --apply: journal the removals, and save the plan beside it (FILE.plan.json); an interrupted apply run again with the same file resumes that plan')
    .option('--keep-label <key[=value]>', 'keep images, containers, volumes and networks with this label (repeatable)', collect, [])
    .option('--keep-image <glob>', 'keep images whose repo:tag matches (app:prod, registry.example/*; repeatable)', collect, [])
    .option('--keep-recent <n>', 'keep the N newest tags of each repository')
    .option('--keep-since <duration>', 'keep what was created or used within this long (168h; a bare number is hours)')
    .option('--until-free <share>', 'remove images least recently used first only until the data-root has this much free (20%, 0.2)')
    .option('--until-used <share>', 'the same target as the share used at most (80%)')
    .option('--config <file>', 'the config file whose "prune" section holds the protections (default: .stowage.json as found)')
    .addHelpText('after', `
Exit codes: 0 planned, or applied (objects found in use at apply time are skipped, not failures),
2 usage error, 3 engine unreachable, 4 bad config file, 5 refused (named volumes without --yes),
6 a removal failed, 130 interrupted (what was removed stays removed; the rest is reported not run).

Examples:
  stowage prune
  stowage prune --images unused --keep-recent 3 --keep-since 168h
  stowage prune --apply
  stowage prune --images unused --until-free 20% --apply
  stowage prune --build-cache-until 0 --keep-storage 5GB --apply
  stowage prune --images unused --apply --journal /var/tmp/prune.journal
  stowage --json prune --volumes anonymous --networks --apply`)
    .action(async (flags: PruneFlags) => {
      const c = ctx();
      const options = pruneOptionsFrom(flags);
      const context = c.capabilityContext('prune', { interruptible: true });
      let result: PruneResult;
      try {
        const planned = await planOrResume(options, context);
        result = planned.result;
        if (options.apply) {
          const named = namedVolumesIn(planned);
          if (named.length && !options.confirmNamedVolumes) {
            context.progress.end();
            if (!c.json) c.out(renderPruneText(planned.result, c.style));
            if (!(await confirmNamed(c, named))) {
              throw new RefusedError(`not removing ${named.length} named volume${named.length === 1 ? '' : 's'} without a confirmation; nothing was removed`,
                'Add --yes (or answer "yes" on a terminal), or use --volumes anonymous.');
            }
            options.confirmNamedVolumes = true;
          }
          result = await applyPrunePlan(planned, options, context);
        }
      } finally {
        context.progress.end();
      }
      c.out(c.json ? renderJson('prune', result).trimEnd() : renderPruneText(result, c.style));
      if (result.applied?.aborted) {
        c.progress(new InterruptedError('prune interrupted').message);
        setExit(ExitCode.interrupted);
      } else setExit(result.applied && result.applied.totals.failed > 0 ? ExitCode.hostFailure : ExitCode.ok);
    });
};
