/** `stowage analyze`: where an image's bytes go, layer by layer, with findings and a CI gate. */
import { systemClock, type Clock } from '../clock.js';
import { capabilityContext, type CapabilityContext } from '../context.js';
import { UsageError } from '../errors.js';
import { countBySeverity, sortFindings, type Finding, type Severity } from '../findings.js';
import type { ImageIndex, SourceKind } from '../image/image-index.js';
import { displayPath } from '../image/layer-entry.js';
import { layerDepthFinding } from '../image/layer-depth-finding.js';
import { openImage, type OpenImageOptions } from '../image/open-image.js';
import { analyzeLayers, type LayerAnalysis, type LayerReport, type PathFigure, type PathRecord } from './layer-analysis.js';
import type { AnalyzeThresholds } from './thresholds.js';
import { count } from '../units.js';
import { SCHEMA_VERSION } from '../version.js';
import { ANALYZE_FINDINGS, type AnalyzeFinding } from './finding-ids.js';

/** What to make of an image already read: the figures asked for and the gate. */
export interface AnalyzeFigureOptions {
  thresholds?: AnalyzeThresholds;
  /** How many offenders to list (default 10). */
  top?: number;
  /** List the paths behind one figure. */
  paths?: PathFigure | undefined;
  /** Restrict `paths` to one layer index. */
  pathsLayer?: number | undefined;
  /** The severity from which a finding fails the run (default error); the result says it as `failOn`. */
  failOn?: Severity;
}

export interface AnalyzeOptions extends AnalyzeFigureOptions, Pick<OpenImageOptions, 'source' | 'platform' | 'allDigests'> {
  /** The image: a name or ID in the engine, a docker-archive (.tar, .tar.gz), an OCI archive or layout directory. */
  reference: string;
}

export interface DepthShare {
  layer: number;
  /** 1 is the top layer. */
  depthFromTop: number;
  bytes: number;
  share: number;
}

/** analyze's result, which is also its `--json` document's `result` (schema/analyze.schema.json). */
export interface AnalyzeResult {
  schemaVersion: typeof SCHEMA_VERSION;
  image: {
    reference: string;
    source: SourceKind;
    id: string | undefined;
    repoTags: string[];
    layers: number;
    historyEntries: number;
    emptyLayerInstructions: number;
    note?: string | undefined;
  };
  totals: {
    /** Content bytes summed over every layer. */
    bytes: number;
    /** Content bytes of the final filesystem (each hardlinked file once). */
    finalBytes: number;
    wastedBytes: number;
    /** wastedBytes / bytes. */
    wastedShare: number;
    metadataOnlyBytes: number;
    metadataOnlyFiles: number;
    /** finalBytes / bytes; 1 for an image without file content. */
    efficiency: number;
    finalPaths: number;
    tarBytes: number;
    compressedBytes: number | undefined;
  };
  layers: LayerReport[];
  depthProfile: DepthShare[];
  offenders: {
    paths: { path: string; wastedBytes: number; copies: number }[];
    instructions: { layer: number; instruction: string; wastedBytesCaused: number; metadataOnlyBytes: number }[];
  };
  thresholds: AnalyzeThresholds;
  findings: Finding[];
  /** Findings per severity. */
  summary: Record<Severity, number>;
  /** Findings at or above this fail the run (the CLI exits 1). */
  failOn: Severity;
  paths?: { figure: PathFigure; layer: number | undefined; entries: (PathRecord & { path: string })[] } | undefined;
  elapsedMs: number;
}

/**
 * Reads the image from its source (the engine from the context, asked for only for an engine image) and
 * analyses it. Without a context, one is made by the docker CLI's rules.
 */
export async function analyzeImage(options: AnalyzeOptions, context: CapabilityContext = capabilityContext()): Promise<AnalyzeResult> {
  const started = context.clock.monotonic();
  context.signal.throwIfAborted();
  const { image, note } = await openImage(options.reference, {
    source: options.source, platform: options.platform, allDigests: options.allDigests,
    engine: context.engine, progress: (step, amount) => context.progress.update({ step, ...amount }),
  });
  context.signal.throwIfAborted();
  return analyze(image, options, note, started, context.clock);
}

/** Analyses an already indexed image (library users who read it themselves); only the context's clock is used. */
export function analyzeIndexedImage(image: ImageIndex, options: AnalyzeFigureOptions = {}, context: Pick<CapabilityContext, 'clock'> = { clock: systemClock }): AnalyzeResult {
  return analyze(image, options, undefined, context.clock.monotonic(), context.clock);
}

function analyze(image: ImageIndex, options: AnalyzeFigureOptions, note: string | undefined, startedAt: number, clock: Clock): AnalyzeResult {
  const layerCount = image.layers.length;
  if (options.pathsLayer !== undefined && (options.pathsLayer < 0 || options.pathsLayer >= layerCount)) {
    throw new UsageError(`\`pathsLayer\` takes 0..${layerCount - 1} for this image (${count(layerCount, 'layer')}), not ${options.pathsLayer}`);
  }
  const a = analyzeLayers(image, { pathsFor: options.paths, pathsLayer: options.pathsLayer });
  const top = options.top ?? 10;
  const thresholds = options.thresholds ?? {};
  const reference = image.source.reference;
  const efficiency = a.totalBytes > 0 ? a.finalBytes / a.totalBytes : 1;
  const wastedShare = a.totalBytes > 0 ? a.wastedBytes / a.totalBytes : 0;
  const n = a.layers.length;
  const compressed = a.layers.every((l) => l.compressedBytes !== undefined) && n > 0 ? a.layers.reduce((s, l) => s + l.compressedBytes!, 0) : undefined;
  const result: AnalyzeResult = {
    schemaVersion: SCHEMA_VERSION,
    image: {
      reference, source: image.source.kind, id: image.id, repoTags: image.repoTags, layers: n,
      historyEntries: image.history.length, emptyLayerInstructions: image.history.filter((h) => h.emptyLayer).length,
      ...(note ? { note } : {}),
    },
    totals: {
      bytes: a.totalBytes, finalBytes: a.finalBytes, wastedBytes: a.wastedBytes, wastedShare,
      metadataOnlyBytes: a.metadataOnlyBytes, metadataOnlyFiles: a.metadataOnlyFiles, efficiency, finalPaths: a.finalPaths,
      tarBytes: a.layers.reduce((s, l) => s + l.tarBytes, 0), compressedBytes: compressed,
    },
    layers: a.layers,
    depthProfile: a.layers.map((l) => ({ layer: l.index, depthFromTop: n - l.index, bytes: l.finalBytes, share: a.finalBytes ? l.finalBytes / a.finalBytes : 0 })),
    offenders: {
      paths: [...a.wastedByPath].sort((x, y) => y[1].bytes - x[1].bytes || (x[0] < y[0] ? -1 : 1)).slice(0, top)
        .map(([path, w]) => ({ path: displayPath(path), wastedBytes: w.bytes, copies: w.copies })),
      instructions: a.layers.filter((l) => l.wastedBytesCaused + l.metadataOnly.bytes > 0)
        .sort((x, y) => (y.wastedBytesCaused + y.metadataOnly.bytes) - (x.wastedBytesCaused + x.metadataOnly.bytes) || x.index - y.index)
        .slice(0, top)
        .map((l) => ({ layer: l.index, instruction: l.instruction, wastedBytesCaused: l.wastedBytesCaused, metadataOnlyBytes: l.metadataOnly.bytes })),
    },
    thresholds,
    findings: [],
    summary: { error: 0, warn: 0, info: 0 },
    failOn: options.failOn ?? 'error',
    elapsedMs: 0,
  };
  if (options.paths) {
    result.paths = { figure: options.paths, layer: options.pathsLayer, entries: (a.paths ?? []).map((p) => ({ ...p, path: displayPath(p.path) })) };
  }
  result.findings = sortFindings(findingsFor(result, a, thresholds));
  result.summary = countBySeverity(result.findings);
  result.elapsedMs = clock.monotonic() - startedAt;
  return result;
}

const pct = (x: number) => Math.round(x * 1000) / 10;

function findingsFor(r: AnalyzeResult, a: LayerAnalysis, t: AnalyzeThresholds): AnalyzeFinding[] {
  const out: AnalyzeFinding[] = [];
  const subject = { kind: 'image' as const, id: r.image.reference };
  const { totals } = r;
  if (totals.wastedBytes > 0) {
    const overBytes = t.highestWastedBytes !== undefined && totals.wastedBytes > t.highestWastedBytes;
    const overShare = t.highestWastedShare !== undefined && totals.wastedShare > t.highestWastedShare;
    const evidence: Finding['evidence'] = [
      { label: 'wasted bytes', value: totals.wastedBytes, unit: 'bytes' },
      { label: 'wasted share', value: pct(totals.wastedShare), unit: '%' },
    ];
    if (t.highestWastedBytes !== undefined) evidence.push({ label: 'threshold (bytes)', value: t.highestWastedBytes, unit: 'bytes' });
    if (t.highestWastedShare !== undefined) evidence.push({ label: 'threshold (share)', value: pct(t.highestWastedShare), unit: '%' });
    for (const p of r.offenders.paths.slice(0, 3)) evidence.push({ label: `top path ${p.path}`, value: p.wastedBytes, unit: 'bytes' });
    for (const i of r.offenders.instructions.filter((x) => x.wastedBytesCaused > 0).slice(0, 3)) {
      evidence.push({ label: `layer ${i.layer} ${truncate(i.instruction, 60)} overwrote or deleted`, value: i.wastedBytesCaused, unit: 'bytes' });
    }
    out.push({
      id: ANALYZE_FINDINGS.wastedBytes.id,
      severity: overBytes || overShare ? 'error' : totals.wastedShare >= 0.05 ? 'warn' : 'info',
      title: `${pct(totals.wastedShare)}% of the image's bytes are copies that later layers overwrite or delete`,
      evidence,
      fix: {
        summary: 'Delete temporary files in the same RUN that creates them, or build in a separate stage and COPY only the result.',
        config: 'RUN fetch-and-build && rm -rf /tmp/build /var/cache/apt\n# or: FROM builder AS build ... COPY --from=build /out /app',
      },
      subject,
    });
  }
  const overMeta = t.highestMetadataBytes !== undefined && totals.metadataOnlyBytes > t.highestMetadataBytes;
  for (const l of a.layers) {
    // Rewrites with nothing changed count when they add up (a chmod -R to the mode files already had);
    // a single rewritten empty file (useradd rewriting /etc/gshadow-) is not worth a finding.
    const unchanged = l.unchangedCopies.files >= 10 || l.unchangedCopies.bytes >= 1_000_000;
    if (l.metadataOnly.files === 0 && !unchanged) continue;
    const copies = l.metadataOnly.files + (unchanged ? l.unchangedCopies.files : 0);
    const changes = Object.entries(l.metadataOnly.changes).filter(([, c]) => c > 0).map(([k]) => k);
    const chownish = changes.includes('owner') || /\bchown\b/.test(l.instruction);
    const evidence: Finding['evidence'] = [
      { label: 'files copied for metadata only', value: l.metadataOnly.files },
      { label: 'bytes copied for metadata only', value: l.metadataOnly.bytes, unit: 'bytes' },
    ];
    if (changes.length) evidence.push({ label: 'changed', value: changes.join(', ') });
    if (unchanged) {
      // chmod/chown to the value a file already has still copies it up in overlay2
      evidence.push({ label: 'files copied with nothing changed', value: l.unchangedCopies.files });
      evidence.push({ label: 'bytes copied with nothing changed', value: l.unchangedCopies.bytes, unit: 'bytes' });
    }
    if (t.highestMetadataBytes !== undefined) evidence.push({ label: 'threshold (image total)', value: t.highestMetadataBytes, unit: 'bytes' });
    const their = copies === 1 ? 'its' : 'their';
    const what = changes.length ? `only to change ${their} ${changes.join('/')}` : `without changing ${their} content or metadata`;
    out.push({
      id: ANALYZE_FINDINGS.metadataCopy.id,
      severity: overMeta ? 'error' : 'warn',
      title: `layer ${l.index} (${truncate(l.instruction, 60)}) copies ${count(copies, 'unchanged file')} ${what}`,
      evidence,
      fix: {
        summary: chownish
          ? 'Set ownership when the files are added (`COPY --chown=USER:GROUP`), or chown in the same RUN that creates them; a later `chown -R` copies every file into a new layer.'
          : 'Set permissions when the files are added (`COPY --chmod=MODE`, BuildKit), or chmod in the same RUN that creates them; a later `chmod -R` copies every file into a new layer.',
        config: chownish ? 'COPY --chown=app:app . /app' : 'COPY --chmod=755 . /app',
      },
      subject: { kind: 'layer', id: `${r.image.reference} layer ${l.index}` },
    });
  }
  if (t.lowestEfficiency !== undefined && totals.efficiency < t.lowestEfficiency) {
    out.push({
      id: ANALYZE_FINDINGS.lowEfficiency.id,
      severity: 'error',
      title: `efficiency ${pct(totals.efficiency)}% is below the threshold ${pct(t.lowestEfficiency)}%`,
      evidence: [
        { label: 'efficiency', value: pct(totals.efficiency), unit: '%' },
        { label: 'threshold', value: pct(t.lowestEfficiency), unit: '%' },
        { label: 'bytes in layers', value: totals.bytes, unit: 'bytes' },
        { label: 'bytes in the final filesystem', value: totals.finalBytes, unit: 'bytes' },
      ],
      fix: { summary: 'Remove the waste listed under image/wasted-bytes and image/metadata-copy (`stowage analyze --paths wasted` lists the files).' },
      subject,
    });
  }
  // --highest-layers makes crossing a lower count an error too.
  const bottomHalf = r.depthProfile.filter((d) => d.layer < r.image.layers / 2).reduce((s, d) => s + d.share, 0);
  const depth = layerDepthFinding({
    layers: r.image.layers, subject, highestLayers: t.highestLayers,
    evidence: [{ label: 'share of bytes in the bottom half of the stack', value: pct(bottomHalf), unit: '%' }],
  });
  if (depth) out.push(depth);
  return out;
}

function truncate(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}
