/** `stowage bench build DIR`: parse flags, build with each step shown live as it starts, render the step table. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Progress } from '../../progress.js';
import { formatDuration } from '../../render/format.js';
import { renderJson } from '../../render/json-document.js';
import { renderBuildText } from '../../render/bench-text.js';
import { runBuildBench, type BuilderChoice, type BuildStepDetail } from '../../bench/build-bench.js';
import { BuildFailedError } from '../../bench/build-failed-error.js';
import type { CliContext } from '../cli-context.js';
import { parseSeverity } from '../cli-context.js';
import { benchSink, collect, parsePositive, setExitFor } from './bench-flags.js';
import { elapsedText, type LiveLine } from './live-line.js';

interface BuildFlags {
  file?: string;
  vs?: string;
  builder: string;
  cache?: boolean;
  keep?: boolean;
  network?: string;
  buildArg?: string[];
  target?: string;
  platform?: string;
  tag?: string;
  thresholds: string;
  failOn?: string;
}

/** `NAME=VALUE`, or `NAME` alone to pass the variable from the environment, as `docker build` does. */
export function parseBuildArgs(values: readonly string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = eq < 0 ? v : v.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--build-arg takes NAME=VALUE, not "${v}"`);
    if (eq >= 0) out[name] = v.slice(eq + 1);
    else if (env[name] !== undefined) out[name] = env[name]!;
  }
  return out;
}

/**
 * Shows the build's steps live: a line when a step starts is replaced by the running status (its elapsed
 * time ticking), and a line that stays when it ends, so a 10-minute `chown -R` is never silent. Notes (each
 * build starting) are lasting lines.
 */
export function buildStepProgress(live: LiveLine, now: () => number = () => performance.now()): Progress {
  const running = new Map<string, number>();
  const show = () => {
    const names = [...running.keys()];
    const last = names[names.length - 1];
    if (last === undefined) return;
    const since = running.get(last)!;
    const more = names.length > 1 ? ` (+${names.length - 1} more running)` : '';
    live.set((ms) => `${last}  running${ms >= 1000 ? ` ${elapsedText(ms)}` : ''}${more}`, { since, force: true });
  };
  return {
    update: (u) => {
      const d = u.detail as BuildStepDetail | undefined;
      if (d?.state === 'running') {
        running.set(u.step, now());
        show();
      } else if (d?.state === 'done') {
        running.delete(u.step);
        live.log(`${u.step}  ${d.cached ? 'cached' : d.durationMs === undefined ? 'done' : formatDuration(d.durationMs)}`);
        show();
      }
    },
    note: (message) => live.log(message),
    end: () => live.clear(),
  };
}

export function registerBuild(bench: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  bench.command('build')
    .description('build DIR through the engine with per-step times, image size, layers, data-root growth and an assessment')
    .argument('<dir>', 'build context')
    .option('-f, --file <dockerfile>', 'Dockerfile (default DIR/Dockerfile)')
    .option('--vs <dockerfile>', 'build this Dockerfile the same way and compare')
    .option('--builder <builder>', 'auto (BuildKit, classic if the engine refuses it), buildkit, classic', 'auto')
    .option('--cache', 'use the build cache (default: cold builds, so runs compare; their new cache is removed after)')
    .option('--keep', 'keep the built images (default: removed)')
    .option('--network <mode>', 'network for RUN steps (e.g. host)')
    .option('--build-arg <NAME=VALUE>', 'build-time variable, as docker build (repeat for more)', collect)
    .option('--target <stage>', 'build this stage of a multi-stage Dockerfile')
    .option('--platform <os/arch>', 'platform to build for, e.g. linux/amd64')
    .option('-t, --tag <name>', 'tag the built image and keep it (not with --vs)')
    .option('--thresholds <min,min,min>', 'upper bounds in minutes of excellent, good, acceptable', '2,5,10')
    .option('--fail-on <severity>', 'exit 1 when a finding reaches info, warn or error')
    .action(async (dir: string, flags: BuildFlags) => {
      const c = ctx();
      if (!['auto', 'buildkit', 'classic'].includes(flags.builder)) throw new UsageError('--builder takes auto, buildkit or classic');
      const t = flags.thresholds.split(',').map((x) => parsePositive(x.trim(), '--thresholds', false));
      if (t.length !== 3 || !(t[0]! < t[1]! && t[1]! < t[2]!)) throw new UsageError('--thresholds takes three increasing minutes, e.g. 2,5,10');
      if (flags.tag && flags.vs) throw new UsageError('-t names one image; with --vs there are two (use --keep to keep both under generated tags)');
      if (flags.tag !== undefined && !/^[a-z0-9][a-z0-9._\/:@-]*$/.test(flags.tag)) throw new UsageError(`-t takes an image name such as app:bench, not "${flags.tag}"`);
      if (flags.platform !== undefined && !/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(flags.platform)) throw new UsageError(`--platform takes os/arch[/variant], such as linux/amd64, not "${flags.platform}"`);
      const buildArgs = parseBuildArgs(flags.buildArg ?? [], c.io.env);
      const failOn = flags.failOn ? parseSeverity(flags.failOn, '--fail-on') : undefined;
      const context = c.capabilityContext('bench build', { engineTimeoutMs: 30_000, sink: benchSink(c, buildStepProgress) });
      let result;
      try {
        result = await runBuildBench({
          dir,
          ...(flags.file ? { dockerfile: flags.file } : {}),
          ...(flags.vs ? { vs: flags.vs } : {}),
          builder: flags.builder as BuilderChoice,
          cache: Boolean(flags.cache),
          keep: Boolean(flags.keep),
          ...(flags.network ? { networkMode: flags.network } : {}),
          ...(Object.keys(buildArgs).length ? { buildArgs } : {}),
          ...(flags.target ? { target: flags.target } : {}),
          ...(flags.platform ? { platform: flags.platform } : {}),
          ...(flags.tag ? { tag: flags.tag } : {}),
          thresholds: { excellentMin: t[0]!, goodMin: t[1]!, acceptableMin: t[2]! },
        }, context);
      } catch (err) {
        context.progress.end();
        // the failing step's own words, before the one-line error main prints (shown even with --quiet)
        if (err instanceof BuildFailedError && err.output.length) {
          c.io.stderr.write(`${err.step ? `${err.step}: ` : ''}last ${err.output.length} line${err.output.length === 1 ? '' : 's'} of its output:\n`);
          c.io.stderr.write(`${err.output.map((l) => `  | ${l}`).join('\n')}\n`);
        }
        throw err;
      } finally {
        context.progress.end();
      }
      c.out(c.json ? renderJson('bench build', result) : renderBuildText(result, c.style));
      setExitFor(result.findings, failOn, setExit);
    });
}
