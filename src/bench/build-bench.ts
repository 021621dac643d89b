/**
 * `bench build DIR`: builds through the engine (BuildKit via `POST /build?version=2`, which Engine API 1.41
 * accepts without a client session when the context is sent as a tar), times each step, and reports image
 * size, layer count, data-root growth and an assessment; `--vs` builds a second Dockerfile the same way.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { lintText } from '../lint/lint-dockerfile.js';
import { readBuildContext } from '../dockerfile/build-context.js';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { uniqueSuffix } from '../atomic-file.js';
import type { CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import { BadInputError, EngineRequestError } from '../errors.js';
import type { Finding } from '../findings.js';
import { BENCH_FINDINGS, type BenchFinding } from './finding-ids.js';
import { formatDuration } from '../units.js';
import { BuildkitSteps, ClassicSteps, type BuildStep, type StepEvent } from './build-steps.js';
import { BuildFailedError } from './build-failed-error.js';
import type { BuildCacheUsage } from '../engine/types.js';

export type BuilderChoice = 'auto' | 'buildkit' | 'classic';
export type BuildRating = 'excellent' | 'good' | 'acceptable' | 'slow';

/** Upper bounds, in minutes, of excellent, good and acceptable (issue 6: 2, 5, 10). */
export interface BuildThresholds {
  excellentMin: number;
  goodMin: number;
  acceptableMin: number;
}

export const DEFAULT_BUILD_THRESHOLDS: BuildThresholds = { excellentMin: 2, goodMin: 5, acceptableMin: 10 };

export interface BuildBenchOptions {
  /** The build context directory. */
  dir: string;
  /** Dockerfile path (default DIR/Dockerfile). */
  dockerfile?: string;
  /** A second Dockerfile to build the same way and compare. */
  vs?: string;
  builder?: BuilderChoice;
  /** Use the build cache (default: cold builds, so runs compare). */
  cache?: boolean;
  /** Keep the built images (default: remove them). */
  keep?: boolean;
  networkMode?: string;
  /** `--build-arg NAME=VALUE`s, for both builds. */
  buildArgs?: Record<string, string>;
  /** The stage to build (`--target`). */
  target?: string;
  /** `os/arch[/variant]` to build for. */
  platform?: string;
  /** Tag the (first) image with this name and keep it, as `docker build -t` does. */
  tag?: string;
  thresholds?: Partial<BuildThresholds>;
  /** A step is slow when it takes this share of the build or more… */
  slowStepShare?: number;
  /** …and at least this long. */
  slowStepMinMs?: number;
  /** Measure data-root growth from the engine's disk usage (layers + build cache) before and after; default on. */
  measureGrowth?: boolean;
}

/**
 * What a step's progress update carries as `detail`: a step starting is `update({ step: NAME, detail: { state:
 * 'running' } })`, one ending `update({ step: NAME, detail: { state: 'done', cached, durationMs } })`; each
 * build starting is a note (`building DOCKERFILE (BuildKit)`).
 */
export type BuildStepDetail = { state: 'running' } | { state: 'done'; cached: boolean; durationMs: number | undefined };

/** A step event as the context's progress update of it. */
export function stepUpdate(e: StepEvent): { step: string; detail: BuildStepDetail } {
  return e.kind === 'start'
    ? { step: e.name, detail: { state: 'running' } }
    : { step: e.name, detail: { state: 'done', cached: e.cached, durationMs: e.durationMs } };
}

export interface BuildRun {
  dockerfile: string;
  contextDir: string;
  builder: 'buildkit' | 'classic';
  /** Why the builder is what it is. */
  builderNote: string;
  tag: string;
  imageId: string;
  totalMs: number;
  steps: BuildStep[];
  imageSize: number;
  layers: number;
  /** Bytes the engine's layers and build cache grew by during the build (`/system/df` before and after). */
  dataRootGrowth: number | undefined;
  /** Cold builds remove the build-cache records they made: how many, and the bytes given back. */
  cacheRemoved?: { records: number; bytes: number } | undefined;
  rating: BuildRating;
  kept: boolean;
}

/** bench build's result, which is its `--json` document (`result`). */
export interface BuildBenchResult {
  schemaVersion: 1;
  thresholds: BuildThresholds;
  runs: BuildRun[];
  comparison: { timeRatio: number; sizeRatio: number; layerDelta: number } | undefined;
  findings: Finding[];
}

export function rateBuild(totalMs: number, t: BuildThresholds): BuildRating {
  const min = totalMs / 60_000;
  if (min < t.excellentMin) return 'excellent';
  if (min < t.goodMin) return 'good';
  if (min < t.acceptableMin) return 'acceptable';
  return 'slow';
}

function locateDockerfile(dir: string, dockerfile: string | undefined): { contextDir: string; dockerfile: string; display: string } {
  const contextDir = resolve(dir);
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) throw new BadInputError(`${dir} is not a directory`);
  const path = dockerfile ? resolve(dockerfile) : join(contextDir, 'Dockerfile');
  if (!existsSync(path)) throw new BadInputError(`no Dockerfile at ${path}`);
  const rel = relative(contextDir, path);
  // a Dockerfile outside the context is built with its own directory as context
  if (rel.startsWith('..') || isAbsolute(rel)) return { contextDir: dirname(path), dockerfile: basename(path), display: path };
  return { contextDir, dockerfile: rel, display: path };
}

/**
 * Builds one or two Dockerfiles through the engine and times every step, with size, layers and data-root
 * growth. The context's signal is checked before each build (a build under way runs to its end).
 */
export async function runBuildBench(options: BuildBenchOptions, context: CapabilityContext): Promise<BuildBenchResult> {
  const thresholds = { ...DEFAULT_BUILD_THRESHOLDS, ...options.thresholds };
  const targets = [locateDockerfile(options.dir, options.dockerfile)];
  if (options.vs) targets.push(locateDockerfile(options.dir, options.vs));
  const engine = await context.engine();
  const runs: BuildRun[] = [];
  for (const [i, t] of targets.entries()) {
    context.signal.throwIfAborted();
    runs.push(await buildOnce(engine, context, t, options, thresholds, i === 0 ? options.tag : undefined));
  }
  const [a, b] = runs;
  const comparison = a && b ? { timeRatio: b.totalMs / a.totalMs, sizeRatio: b.imageSize / a.imageSize, layerDelta: b.layers - a.layers } : undefined;
  return { schemaVersion: 1, thresholds, runs, comparison, findings: runs.flatMap((r) => buildFindings(r, options, thresholds)) };
}

/**
 * What the engine stores for images and build cache. The filesystem's used bytes would be simpler, but any
 * other writer on the host moves them; the engine's own accounting moves only with its layers and cache.
 */
async function storedBytes(engine: EngineClient, enabled: boolean): Promise<{ bytes: number; cache: BuildCacheUsage[] } | undefined> {
  if (!enabled) return undefined;
  try {
    const du = await engine.diskUsage();
    return { bytes: du.layersSize + du.totals.buildCache.size, cache: du.buildCache };
  } catch {
    return undefined;
  }
}

/**
 * The build-cache records a cold build made: new since before it, created while it ran. BuildKit
 * records carry no build id, so a RUN record (`mount / from exec /bin/sh -c CMD`) must also be one of this
 * build's RUN steps; records of another build's steps in the same seconds are left alone.
 */
export function cacheRecordsOfBuild(before: readonly BuildCacheUsage[], after: readonly BuildCacheUsage[], steps: readonly BuildStep[],
  window: { fromMs: number; toMs: number }): BuildCacheUsage[] {
  const known = new Set(before.map((r) => r.id));
  const runs = steps.map((s) => s.name.replace(/^\[[^\]]*\]\s*/, '')).filter((n) => n.startsWith('RUN ')).map((n) => n.slice(4).trim());
  return after.filter((r) => {
    if (known.has(r.id)) return false;
    const created = r.createdAt ? Date.parse(r.createdAt) : NaN;
    if (!(created >= window.fromMs - 1000 && created <= window.toMs + 1000)) return false;
    const exec = /^mount \/ from exec \/bin\/sh -c (.*)$/s.exec(r.description);
    return !exec || runs.some((cmd) => exec[1]!.trim() === cmd || exec[1]!.trim().startsWith(cmd.slice(0, 60)));
  });
}

/** How long a cold build waits for BuildKit to let go of the records it made before leaving them. */
const CACHE_DROP_PATIENCE_MS = 15_000;

async function buildOnce(engine: EngineClient, context: CapabilityContext, target: { contextDir: string; dockerfile: string; display: string },
  options: BuildBenchOptions, thresholds: BuildThresholds, userTag: string | undefined): Promise<BuildRun> {
  const { clock } = context;
  const progress = (e: StepEvent) => context.progress.update(stepUpdate(e));
  const tag = userTag ?? `stowage-bench-build:${uniqueSuffix()}`;
  const keep = Boolean(options.keep) || userTag !== undefined;
  let builder: 'buildkit' | 'classic' = options.builder === 'classic' ? 'classic' : 'buildkit';
  let builderNote = builder === 'classic' ? 'classic builder (asked for with --builder classic)' : 'BuildKit through the engine (POST /build?version=2, no client session)';
  // the context as the engine should get it: .dockerignore applied, the Dockerfile and ignore file always sent
  const buildContext = readBuildContext(target.contextDir);
  const files = [...new Set([...buildContext.files.map((f) => f.path), target.dockerfile,
    ...(existsSync(join(target.contextDir, '.dockerignore')) ? ['.dockerignore'] : [])])];
  const measure = options.measureGrowth !== false || !options.cache;
  const usedBefore = await storedBytes(engine, measure);
  const wallFrom = clock.now();
  const attempt = async (which: 'buildkit' | 'classic') => {
    const bk = new BuildkitSteps();
    const classic = new ClassicSteps();
    let imageId: string | undefined;
    let error: string | undefined;
    const t0 = clock.monotonic();
    context.progress.note(`building ${target.display} (${which === 'buildkit' ? 'BuildKit' : 'classic builder'})`);
    await engine.buildImage({
      contextDir: target.contextDir, dockerfile: target.dockerfile, files, tag, builder: which, noCache: !options.cache,
      ...(options.networkMode ? { networkMode: options.networkMode } : {}),
      ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
      ...(options.target ? { target: options.target } : {}),
      ...(options.platform ? { platform: options.platform } : {}),
    }, (m) => {
      if (bk.push(m)) {
        for (const e of bk.events()) progress(e);
        return;
      }
      for (const e of classic.push(m, clock.monotonic() - t0)) progress(e);
      const aux = m.aux as { ID?: string } | undefined;
      if (m.id === 'moby.image.id' && aux?.ID) imageId = aux.ID;
      if (!imageId && aux?.ID) imageId = aux.ID;
      if (typeof m.error === 'string') error = m.error;
      const detail = m.errorDetail as { message?: string } | undefined;
      if (!error && detail?.message) error = detail.message;
    });
    const totalMs = clock.monotonic() - t0;
    const failure = error ? (which === 'buildkit' ? bk.failure() : classic.failure(error)) : undefined;
    return { steps: which === 'buildkit' ? bk.steps() : classic.steps(totalMs), imageId, error, failure, totalMs };
  };
  let out;
  try {
    out = await attempt(builder);
  } catch (err) {
    // an engine without BuildKit (or with it disabled) refuses version=2 outright: fall back and say so
    if (!(err instanceof EngineRequestError) || options.builder === 'buildkit') throw err;
    builder = 'classic';
    builderNote = `classic builder: the engine refused BuildKit (${err.message})`;
    out = await attempt('classic');
  }
  const dropCache = async () => {
    if (options.cache || !usedBefore) return undefined;
    let bytes = 0;
    let records = 0;
    // a record goes only after the records built on it, and BuildKit holds a failed build's records for a
    // moment after the error: newest first, pass after pass, while a pass removes something or for 15 s
    const deadline = Date.now() + CACHE_DROP_PATIENCE_MS;
    for (;;) {
      const after = await storedBytes(engine, true);
      if (!after) break;
      const ours = cacheRecordsOfBuild(usedBefore.cache, after.cache, out.steps, { fromMs: wallFrom, toMs: clock.now() })
        .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
      if (!ours.length) break;
      let removedNow = 0;
      for (const r of ours) {
        const gone = await engine.removeBuildCache(r.id).catch(() => ({ removed: false, bytes: 0 }));
        if (gone.removed) removedNow++;
        bytes += gone.bytes;
      }
      records += removedNow;
      if (!removedNow && Date.now() > deadline) break;
      if (!removedNow) await new Promise((r) => setTimeout(r, 200));
    }
    return { records, bytes };
  };
  if (out.error) {
    await dropCache().catch(() => undefined);
    const f = out.failure;
    throw new BuildFailedError(`the build of ${target.display} failed${f ? ` at ${f.name}` : ''}: ${out.error.trim()}`, f?.name, f?.output ?? []);
  }
  let run: BuildRun;
  try {
    const image = await engine.inspectImage(out.imageId ?? tag);
    const usedAfter = options.measureGrowth !== false ? await storedBytes(engine, true) : undefined;
    run = {
      dockerfile: target.display, contextDir: target.contextDir, builder, builderNote, tag, imageId: image.id,
      totalMs: out.totalMs, steps: out.steps, imageSize: image.size, layers: image.layers.length,
      dataRootGrowth: usedBefore !== undefined && usedAfter !== undefined && options.measureGrowth !== false ? usedAfter.bytes - usedBefore.bytes : undefined,
      rating: rateBuild(out.totalMs, thresholds), kept: keep,
    };
  } finally {
    if (!keep) await engine.removeImage(tag, { force: true }).catch(() => undefined);
  }
  // after the image is gone, so its records are no longer in use
  run.cacheRemoved = await dropCache();
  return run;
}

const RATING_TEXT: Record<BuildRating, (t: BuildThresholds) => string> = {
  excellent: (t) => `excellent (under ${t.excellentMin} min)`,
  good: (t) => `good (under ${t.goodMin} min)`,
  acceptable: (t) => `acceptable (under ${t.acceptableMin} min)`,
  slow: (t) => `slow (${t.acceptableMin} min or more)`,
};

export function describeRating(rating: BuildRating, t: BuildThresholds): string {
  return RATING_TEXT[rating](t);
}

export function buildFindings(run: BuildRun, options: Pick<BuildBenchOptions, 'slowStepShare' | 'slowStepMinMs'>, t: BuildThresholds): BenchFinding[] {
  const subject = { kind: 'dockerfile' as const, id: run.dockerfile };
  const findings: BenchFinding[] = [{
    id: BENCH_FINDINGS.buildTime.id,
    severity: run.rating === 'slow' ? 'warn' : 'info',
    title: `${run.dockerfile} built in ${formatDuration(run.totalMs)}: ${describeRating(run.rating, t)}`,
    evidence: [
      { label: 'builder', value: run.builderNote },
      { label: 'build time', value: Math.round(run.totalMs), unit: 'ms' },
      { label: 'image size', value: run.imageSize, unit: 'bytes' },
      { label: 'layers', value: run.layers },
      ...(run.dataRootGrowth !== undefined ? [{ label: 'data-root growth', value: run.dataRootGrowth, unit: 'bytes' }] : []),
    ],
    subject,
  }];
  const share = options.slowStepShare ?? 0.3;
  const minMs = options.slowStepMinMs ?? 10_000;
  for (const s of run.steps) {
    if (s.internal || s.durationMs === undefined) continue;
    if (s.durationMs >= minMs && s.durationMs >= share * run.totalMs) {
      const chown = /\bchown\s+(-R|--recursive)\b|\bchmod\s+(-R|--recursive)\b/.test(s.name);
      const lint = lintFor(run.dockerfile, s.name);
      findings.push({
        id: BENCH_FINDINGS.slowBuildStep.id,
        severity: 'warn',
        title: `${s.name} took ${formatDuration(s.durationMs)}, ${Math.round((s.durationMs / run.totalMs) * 100)}% of the build`,
        evidence: [
          { label: 'step', value: s.name },
          { label: 'duration', value: Math.round(s.durationMs), unit: 'ms' },
          { label: 'share of the build', value: Math.round((s.durationMs / run.totalMs) * 100), unit: '%' },
          { label: 'cached', value: s.cached },
          ...lint.map((f) => ({ label: 'lint', value: `${f.id} (line ${f.subject.range?.startLine ?? '?'}): ${f.title}` })),
        ],
        fix: lint[0]?.fix ? { ...lint[0].fix, commands: [...(lint[0].fix.commands ?? []), `stowage lint ${run.dockerfile}`] } : chown
          ? { summary: 'A recursive chown/chmod copies every file into a new layer (overlay copy-up): set ownership as files arrive with COPY --chown / --chmod.', commands: ['stowage lint Dockerfile'] }
          : { summary: 'Order the Dockerfile so this step is cached more often (dependencies before sources), or use a cache mount (RUN --mount=type=cache).' },
        subject,
      });
    }
  }
  return findings;
}

const squash = (t: string) => t.replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim();

/**
 * Lint findings on the instruction a build step ran: BuildKit names a step `[2/5] RUN …` after the
 * instruction's text, so the step is matched to the instruction whose text it starts with.
 */
export function lintFor(dockerfile: string, stepName: string): Finding[] {
  const step = squash(stepName.replace(/^\[[^\]]*\]\s*/, ''));
  if (!step) return [];
  try {
    const text = readFileSync(dockerfile, 'utf8');
    const lines = text.split('\n');
    return lintText(text, { file: dockerfile }).findings.filter((f) => {
      const r = f.subject.range;
      if (!r) return false;
      const inst = squash(lines.slice(r.startLine - 1, r.endLine).join('\n'));
      const head = inst.slice(0, Math.min(inst.length, step.length, 60));
      return head.length > 0 && (step.startsWith(head) || inst.startsWith(step.slice(0, 60)));
    });
  } catch {
    return []; // linking is a bonus: a Dockerfile lint cannot read must not fail the benchmark
  }
}
