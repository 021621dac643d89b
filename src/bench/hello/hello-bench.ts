/**
 * `bench hello`: HelloBench (Slacker, FAST '16; DESIGN.md real case 5) on a local registry. For each image and
 * repetition: push it, remove it and its layers from the engine, pull it back, and start a container until
 * its ready rule holds; then one traced start says which of the image's files were read until ready.
 *
 * Images the user owns are put back as they were (same ID, same tags) whatever happens: before the image is
 * removed locally it is in the registry, and a failure pulls it back before the registry stops. Images the
 * bench made (suite archives it loaded, flattened variants) are removed at the end.
 */
import type { CapabilityContext } from '../../context.js';
import type { EngineClient } from '../../engine/engine-client.js';
import { isLocalEndpoint } from '../../engine/endpoint.js';
import { BadInputError, EngineRequestError, EngineUnreachableError, HostError } from '../../errors.js';
import { flattenImage } from '../../flatten/flatten-image.js';
import { regularFileSize, startAccessTrace, type AccessTrace } from '../../host/file-access-trace.js';
import { startRegistryServer, type RegistryServer } from '../../host/registry-server.js';
import type { LinkShape } from '../../host/shaped-netns.js';
import { manifestFigures, registryAnswers } from '../../registry/registry-client.js';
import { median } from '../../stats.js';
import { formatBytes } from '../../units.js';
import { SCHEMA_VERSION } from '../../version.js';
import { BENCH_FINDINGS, type BenchFinding } from '../finding-ids.js';
import { bytesRead, overlayLayerDirs, type BytesRead } from './bytes-read.js';
import { readyRuleText, type ReadyRule } from './ready-rule.js';
import { runUntilReady } from './ready-wait.js';

/** One image to measure. */
export interface HelloImage {
  /** Short name for tables and repository names (`python3`, or the user's image). */
  name: string;
  /** The image in the engine (name or ID); with `archive`, the name the archive loads. */
  image: string;
  rule: ReadyRule;
  category?: string;
  /** A docker-archive to load first (the suite's cache); the loaded image is removed at the end. */
  archive?: string;
}

export interface HelloBenchOptions {
  images: HelloImage[];
  /** Repetitions of push, pull and run per image (default 3). */
  repetitions?: number;
  /** A running registry `HOST:PORT`; without it a docker-registry is started on 127.0.0.1 and stopped after. */
  registry?: string;
  /** Limit for one start to become ready (default 120 s). */
  readyTimeoutMs?: number;
  /** Trace the files read until ready: 'auto' when the engine is local on overlay2 and fatrace is there. */
  bytesRead?: boolean | 'auto';
  /** Also measure a flattened variant (`stowage flatten`) of each image. */
  flatten?: boolean;
  /**
   * WAN conditions on the registry's traffic only (`--bandwidth`, `--latency`): the registry stowage starts runs
   * in a network namespace behind a tbf-shaped veth pair (the latency is added by its forwarder). Not with `registry`.
   */
  shape?: LinkShape;
  /** The docker-registry binary (tests give a broken one). */
  registryBin?: string;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface HelloRun {
  repetition: number;
  /** ms since the bench started, when the push began: the timeline `stowage report` draws. */
  atMs: number;
  pushMs: number;
  pullMs: number;
  /** Create request to ready. */
  runMs: number;
  /** pull / (pull + run). */
  pullShare: number;
  /** The registry held none of the image's blobs before this push. */
  pushCold: boolean;
  layersPulled: number;
  layersAlreadyPresent: number;
}

export interface HelloImageResult {
  name: string;
  image: string;
  variant: 'layered' | 'flattened';
  category: string | undefined;
  ready: string;
  /** Where it was pushed: `HOST:PORT/stowage-hello/NAME:VARIANT`. */
  target: string;
  imageId: string | undefined;
  /** Uncompressed, as `docker image inspect` says. */
  imageBytes: number;
  /** Compressed bytes a pull fetches, from the registry's manifest. */
  pulledBytes: number | undefined;
  layers: number;
  /** Layers of the image another local image also holds: they stay, and pulls skip them. */
  sharedLayers: number;
  runs: HelloRun[];
  push: Spread | undefined;
  pull: Spread | undefined;
  run: Spread | undefined;
  /** Median of the runs' pull shares. */
  pullShare: number | undefined;
  bytesRead: BytesRead | undefined;
  /** Why the file trace was not made, when it was not. */
  bytesReadNote: string | undefined;
  error: string | undefined;
}

export interface HelloBenchResult {
  schemaVersion: typeof SCHEMA_VERSION;
  startedAt: string;
  registry: {
    address: string;
    startedByStowage: boolean;
    /** The shaping asked for and the qdiscs tc showed on the registry's link, when `shape` was given. */
    shaping?: { rateBitsPerSec?: number; latencyMs?: number; qdiscs: string[] };
  };
  repetitions: number;
  images: HelloImageResult[];
  /** Suite figures over the images that succeeded: Slacker's 76% and 6.4%. */
  suite: {
    images: number;
    failed: number;
    /** Sum of median pulls over sum of median pulls plus runs. */
    pullShare: number | undefined;
    /** Bytes read until ready over image bytes, summed over the traced images. */
    bytesReadShare: number | undefined;
    /** Median of flattened/layered (pull + run) over images measured both ways. */
    flattenedStartRatio: number | undefined;
  };
  findings: BenchFinding[];
  interrupted: boolean;
}

/** Runs HelloBench; see the file comment. Rejects only for what stops the whole run (no registry, no engine). */
export async function runHelloBench(options: HelloBenchOptions, context: CapabilityContext): Promise<HelloBenchResult> {
  const { clock, progress, signal } = context;
  const repetitions = options.repetitions ?? 3;
  if (!options.images.length) throw new BadInputError('bench hello needs at least one image');
  const engine = await context.engine();
  const startedAt = new Date(clock.now()).toISOString();
  const t0 = clock.monotonic();
  const trace = await traceSupport(options.bytesRead ?? 'auto', context, engine);
  // a missing or untagged image of the user's is bad input, found before anything starts
  for (const img of options.images.filter((i) => !i.archive)) {
    const d = await engine.inspectImage(img.image).catch((err: unknown) => {
      if (err instanceof EngineRequestError && err.statusCode === 404) throw new BadInputError(`no image ${img.image} in the engine`, 'Build or pull it first; bench hello never pulls from elsewhere.');
      throw err;
    });
    if (!d.repoTags.some((t) => t !== '<none>:<none>')) {
      throw new BadInputError(`${img.image} has no tag; bench hello removes and pulls back tagged images only`, `Tag it first: docker tag ${img.image} NAME:TAG`);
    }
  }
  let server: RegistryServer | undefined;
  let address = options.registry;
  if (address && options.shape) {
    throw new BadInputError('--bandwidth and --latency shape the registry stowage starts, not one given with --registry');
  }
  if (address) {
    if (!(await registryAnswers(address))) {
      throw new HostError(`no registry answers at http://${address}/v2/`, 'Start it, or leave out --registry to let stowage start one on 127.0.0.1.');
    }
  } else {
    progress.update({ step: 'starting docker-registry' });
    server = await startRegistryServer({ ...(options.registryBin ? { bin: options.registryBin } : {}), ...(options.shape ? { shape: options.shape } : {}), signal });
    address = server.address;
  }
  const results: HelloImageResult[] = [];
  const findings: BenchFinding[] = [];
  let interrupted = false;
  try {
    const total = options.images.length * (options.flatten ? 2 : 1);
    for (const [i, img] of options.images.entries()) {
      if (signal.aborted) { interrupted = true; break; }
      const variants: { image: HelloImage; variant: 'layered' | 'flattened'; owned: boolean }[] = [{ image: img, variant: 'layered', owned: false }];
      const env: BenchEnv = { engine, context, address, server, repetitions, trace, t0, readyTimeoutMs: options.readyTimeoutMs ?? 120_000 };
      let flatTag: string | undefined;
      try {
        if (img.archive) await loadArchive(engine, img);
        for (let v = 0; v < variants.length; v++) {
          const { image, variant, owned } = variants[v]!;
          progress.update({ step: `${image.name} (${variant})`, done: i * (options.flatten ? 2 : 1) + v, total, unit: 'items' });
          const result = await measureImage(image, variant, owned, env);
          results.push(result);
          if (result.error) findings.push(failedFinding(result));
          if (result.sharedLayers > 0 && variant === 'layered') findings.push(sharedFinding(result));
          if (options.flatten && variant === 'layered' && !result.error) {
            progress.update({ step: `${image.name}: flattening` });
            flatTag = `stowage-hello-flat/${slug(image.name)}:${process.pid}`;
            await flattenImage({ reference: image.image, output: { kind: 'engine', tag: flatTag }, force: true }, { ...context, progress: { update: () => undefined, note: progress.note.bind(progress), end: () => undefined } });
            variants.push({ image: { ...image, image: flatTag }, variant: 'flattened', owned: true });
          }
        }
      } catch (err) {
        if (signal.aborted) { interrupted = true; break; }
        if (err instanceof EngineUnreachableError) throw err;
        const failed = emptyResult(img, 'layered', address, readyRuleText(img.rule));
        failed.error = (err as Error).message;
        results.push(failed);
        findings.push(failedFinding(failed));
      } finally {
        // what the bench made goes (a loaded archive after its flattened variant is made); the user's image was put back by measureImage
        if (img.archive) await engine.removeImage(img.image, { force: true }).catch(() => undefined);
        if (flatTag) await engine.removeImage(flatTag, { force: true }).catch(() => undefined);
      }
      if (server && !server.alive()) throw new HostError(`docker-registry at ${address} exited during the bench`, 'Its storage may have filled its disk; see the results so far with --json.');
    }
  } finally {
    progress.update({ step: 'stopping docker-registry' });
    await server?.stop();
  }
  if (signal.aborted) interrupted = true;
  const shaping = options.shape && server?.shaping ? { ...options.shape, qdiscs: server.shaping } : undefined;
  return { schemaVersion: SCHEMA_VERSION, startedAt, registry: { address, startedByStowage: Boolean(server), ...(shaping ? { shaping } : {}) }, repetitions, images: results, suite: suiteFigures(results), findings, interrupted };
}

interface BenchEnv {
  engine: EngineClient;
  context: CapabilityContext;
  address: string;
  server: RegistryServer | undefined;
  repetitions: number;
  trace: { on: true } | { on: false; note: string | undefined };
  t0: number;
  readyTimeoutMs: number;
}

async function loadArchive(engine: EngineClient, img: HelloImage): Promise<void> {
  const { createReadStream } = await import('node:fs');
  await engine.loadImage(createReadStream(img.archive!) as AsyncIterable<Buffer>);
  await engine.inspectImage(img.image).catch(() => {
    throw new BadInputError(`${img.archive} did not load ${img.image}`);
  });
}

/** Whether the file trace can run: a local engine on overlay2, and fatrace on the PATH. */
async function traceSupport(wanted: boolean | 'auto', context: CapabilityContext, engine: EngineClient): Promise<BenchEnv['trace']> {
  if (wanted === false) return { on: false, note: undefined };
  const info = await engine.info();
  const why = !isLocalEndpoint(context.endpoint()) ? 'the engine is not on this host'
    : info.storageDriver !== 'overlay2' ? `the storage driver is ${info.storageDriver}, not overlay2`
      : info.containerdImageStore ? 'the engine keeps images in containerd' : undefined;
  const { existsSync } = await import('node:fs');
  const fatrace = ['/usr/sbin/fatrace', '/usr/bin/fatrace'].some((p) => existsSync(p));
  const reason = why ?? (fatrace ? undefined : 'fatrace is not installed (apt-get install fatrace)');
  if (reason && wanted === true) throw new HostError(`cannot trace the files a start reads: ${reason}`);
  return reason ? { on: false, note: reason } : { on: true };
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 100) || 'image';
}

function emptyResult(img: HelloImage, variant: 'layered' | 'flattened', address: string, ready: string): HelloImageResult {
  return {
    name: img.name, image: img.image, variant, category: img.category, ready, target: `${address}/stowage-hello/${slug(img.name)}:${variant}`,
    imageId: undefined, imageBytes: 0, pulledBytes: undefined, layers: 0, sharedLayers: 0, runs: [],
    push: undefined, pull: undefined, run: undefined, pullShare: undefined, bytesRead: undefined, bytesReadNote: undefined, error: undefined,
  };
}

/** Push, clean, pull and run `repetitions` times, then one traced start; the image is back as it was after. */
async function measureImage(img: HelloImage, variant: 'layered' | 'flattened', owned: boolean, env: BenchEnv): Promise<HelloImageResult> {
  const { engine, context, address } = env;
  const { clock, signal } = context;
  const result = emptyResult(img, variant, address, readyRuleText(img.rule));
  const detail = await engine.inspectImage(img.image).catch((err: unknown) => {
    if (err instanceof EngineRequestError && err.statusCode === 404) throw new BadInputError(`no image ${img.image} in the engine`, 'Build or pull it first; bench hello never pulls from elsewhere.');
    throw err;
  });
  const id = detail.id;
  const tags = detail.repoTags.filter((t) => t !== '<none>:<none>');
  // an untagged image could not be found again once it has been removed and pulled back
  if (!tags.length && !owned) throw new BadInputError(`${img.image} has no tag; bench hello removes and pulls back tagged images only`, `Tag it first: docker tag ${img.image} NAME:TAG`);
  result.imageId = id;
  result.imageBytes = detail.size;
  result.layers = detail.layers.length;
  result.sharedLayers = await sharedLayerCount(engine, id, detail.layers);
  const [repo, tag] = splitTarget(result.target);
  let localGone = false;
  const containers: string[] = [];
  try {
    await engine.tagImage(id, repo, tag);
    for (let rep = 1; rep <= env.repetitions; rep++) {
      signal.throwIfAborted();
      context.progress.update({ step: `${img.name} (${variant}) ${rep}/${env.repetitions}: push` });
      // a registry stowage runs is emptied between repetitions, so every push uploads every blob
      const pushCold = rep === 1 || Boolean(env.server);
      if (rep > 1 && env.server) env.server.wipeStorage();
      const atMs = clock.monotonic() - env.t0;
      let t = clock.monotonic();
      await engine.pushImage(result.target);
      const pushMs = clock.monotonic() - t;
      if (rep === 1) {
        const m = await manifestFigures(address, repo.slice(address.length + 1), tag);
        result.pulledBytes = m.bytes;
      }
      // the clean state: the image and every layer no other image holds leave the engine
      localGone = true;
      await engine.removeImage(id, { force: true });
      signal.throwIfAborted();
      context.progress.update({ step: `${img.name} (${variant}) ${rep}/${env.repetitions}: pull` });
      t = clock.monotonic();
      const pulled = await engine.pullImage(result.target);
      const pullMs = clock.monotonic() - t;
      await restoreTags(engine, result.target, tags);
      localGone = false;
      signal.throwIfAborted();
      context.progress.update({ step: `${img.name} (${variant}) ${rep}/${env.repetitions}: run until ${result.ready}` });
      const timing = await runUntilReady(engine, {
        image: result.target, rule: img.rule, labels: { 'stowage.bench': 'hello' }, timeoutMs: env.readyTimeoutMs,
        onCreated: (cid) => containers.push(cid), signal,
      }, clock);
      await removeContainers(engine, containers);
      result.runs.push({
        repetition: rep, atMs, pushMs, pullMs, runMs: timing.readyMs, pullShare: pullMs / (pullMs + timing.readyMs), pushCold,
        layersPulled: pulled.layersTransferred, layersAlreadyPresent: pulled.layersSkipped,
      });
    }
    result.push = spread(result.runs.map((r) => r.pushMs));
    result.pull = spread(result.runs.map((r) => r.pullMs));
    result.run = spread(result.runs.map((r) => r.runMs));
    result.pullShare = median(result.runs.map((r) => r.pullShare));
    if (env.trace.on) {
      context.progress.update({ step: `${img.name} (${variant}): tracing the files read until ready` });
      result.bytesRead = await tracedStart(img, result, env, containers);
    } else {
      result.bytesReadNote = env.trace.note;
    }
  } catch (err) {
    if (signal.aborted) throw err;
    result.error = (err as Error).message;
  } finally {
    await removeContainers(engine, containers);
    if (localGone) await putBack(engine, result.target, tags, env).catch((err: unknown) => {
      result.error = `${result.error ? `${result.error}; ` : ''}could not put ${img.image} back: ${(err as Error).message}`;
    });
    // the registry name goes; a bench-made image goes whole
    await engine.removeImage(result.target).catch(() => undefined);
    if (owned) await engine.removeImage(id, { force: true }).catch(() => undefined);
  }
  return result;
}

/** One more start, with fatrace watching the image's layer directories from create to ready. */
async function tracedStart(img: HelloImage, result: HelloImageResult, env: BenchEnv, containers: string[]): Promise<BytesRead> {
  const { engine, context } = env;
  const detail = await engine.inspectImage(result.target);
  const dirs = overlayLayerDirs(detail.graphDriver.data);
  if (!dirs.length) throw new HostError(`the engine gave no overlay2 layer directories for ${img.image}`);
  // overlay2's layer directories: /var/lib/docker/overlay2/<id>/diff
  const overlayRoot = dirs[0]!.replace(/\/[^/]+\/diff$/, '');
  let trace: AccessTrace | undefined = await startAccessTrace({
    mountDir: overlayRoot,
    probeFile: dirs[0]!.replace(/\/diff$/, '/link'),
    keep: (path) => dirs.some((d) => path.startsWith(`${d}/`)),
  });
  try {
    await runUntilReady(engine, {
      image: result.target, rule: img.rule, labels: { 'stowage.bench': 'hello' }, timeoutMs: env.readyTimeoutMs,
      onCreated: (cid) => containers.push(cid), signal: context.signal,
    }, context.clock);
    const events = await trace.stop();
    trace = undefined;
    return bytesRead(events, dirs, detail.size, regularFileSize);
  } finally {
    await trace?.stop().catch(() => undefined);
    await removeContainers(engine, containers);
  }
}

function splitTarget(target: string): [string, string] {
  const at = target.lastIndexOf(':');
  return [target.slice(0, at), target.slice(at + 1)];
}

async function restoreTags(engine: EngineClient, from: string, tags: string[]): Promise<void> {
  for (const t of tags) {
    const [repo, tag] = splitTarget(t);
    await engine.tagImage(from, repo, tag);
  }
}

/** After a failure between the local removal and the pull: pull the image back from the registry and re-tag it. */
async function putBack(engine: EngineClient, target: string, tags: string[], env: BenchEnv): Promise<void> {
  const present = await engine.inspectImage(target).then(() => true, () => false);
  if (!present) await engine.pullImage(target);
  await restoreTags(engine, target, tags);
  void env;
}

async function removeContainers(engine: EngineClient, ids: string[]): Promise<void> {
  while (ids.length) {
    const id = ids.pop()!;
    await engine.removeContainer(id, { force: true, volumes: true }).catch((err: unknown) => {
      if (!(err instanceof EngineRequestError && err.statusCode === 404)) throw err;
    });
  }
}

/** How many of the image's layers (diff IDs) other local images also hold. */
async function sharedLayerCount(engine: EngineClient, id: string, layers: string[]): Promise<number> {
  // top-level images only: the classic builder's intermediate images are the image's parents and go with it
  const others = (await engine.listImages()).filter((i) => i.id !== id);
  const held = new Set<string>();
  for (const o of others) {
    const d = await engine.inspectImage(o.id).catch(() => undefined);
    // a layer is shared when the chain up to it is the same: compare prefixes of the diff-ID lists
    if (!d) continue;
    for (let k = 0; k < Math.min(d.layers.length, layers.length) && d.layers[k] === layers[k]; k++) held.add(`${k}`);
  }
  return held.size;
}

function spread(values: number[]): Spread | undefined {
  if (!values.length) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** The suite figures over per-image results (exported for bench/hello, which runs and prints one image at a time). */
export function suiteFigures(results: HelloImageResult[]): HelloBenchResult['suite'] {
  const ok = results.filter((r) => !r.error && r.pull && r.run);
  const layered = ok.filter((r) => r.variant === 'layered');
  const pull = layered.reduce((a, r) => a + r.pull!.median, 0);
  const run = layered.reduce((a, r) => a + r.run!.median, 0);
  const traced = layered.filter((r) => r.bytesRead);
  const read = traced.reduce((a, r) => a + r.bytesRead!.bytes, 0);
  const bytes = traced.reduce((a, r) => a + r.bytesRead!.imageBytes, 0);
  const ratios = layered.flatMap((l) => {
    const f = ok.find((r) => r.variant === 'flattened' && r.name === l.name);
    return f ? [(f.pull!.median + f.run!.median) / (l.pull!.median + l.run!.median)] : [];
  });
  return {
    images: new Set(results.map((r) => r.name)).size,
    failed: results.filter((r) => r.error).length,
    pullShare: layered.length ? pull / (pull + run) : undefined,
    bytesReadShare: traced.length && bytes > 0 ? read / bytes : undefined,
    flattenedStartRatio: ratios.length ? median(ratios) : undefined,
  };
}

function failedFinding(r: HelloImageResult): BenchFinding {
  return {
    id: BENCH_FINDINGS.helloFailed.id, severity: 'error',
    title: `${r.name} (${r.variant}): ${r.error}`,
    evidence: [{ label: 'repetitions done', value: r.runs.length }, { label: 'ready rule', value: r.ready }],
    fix: { summary: 'Run the image by hand (`docker run`) and check its ready rule, the registry and the engine log.' },
    subject: { kind: 'image', id: r.image },
  };
}

function sharedFinding(r: HelloImageResult): BenchFinding {
  return {
    id: BENCH_FINDINGS.helloSharedLayers.id, severity: 'warn',
    title: `${r.name}: ${r.sharedLayers} of its ${r.layers} layers stay in the engine through other images, so pulls skip them`,
    evidence: [{ label: 'shared layers', value: r.sharedLayers }, { label: 'image size', value: formatBytes(r.imageBytes) }],
    fix: { summary: 'Remove the other images that share its base, or bench it on an engine of its own, for pull times from a clean state.' },
    subject: { kind: 'image', id: r.image },
  };
}
