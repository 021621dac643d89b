/**
 * The one `image/layer-depth` finding, which doctor (every image in the engine) and analyze (one image) both
 * raise: same id, title, bounds and fix, so the two commands judge and word depth alike.
 */
import type { Evidence, Finding, FindingInfo, Subject } from '../findings.js';
import { LAYER_DEPTH_ERROR, LAYER_DEPTH_WARN, LAYER_STORE_MAX_DEPTH, OVERLAY2_MAX_LOWERS } from './layer-limits.js';

export const LAYER_DEPTH_FINDING = {
  id: 'image/layer-depth',
  severities: ['warn', 'error'],
  meaning: `warn from ${LAYER_DEPTH_WARN} layers, error from ${LAYER_DEPTH_ERROR}: Docker refuses images deeper than ${LAYER_STORE_MAX_DEPTH} layers (overlay2 mounts at most ${OVERLAY2_MAX_LOWERS} lowers)`,
  doc: 'README.md#finding-ids',
} as const satisfies FindingInfo;

export interface LayerDepthInput {
  layers: number;
  subject: Subject;
  /** A user's ceiling (analyze's --highest-layers): above it the finding is an error whatever the depth. */
  highestLayers?: number | undefined;
  /** Evidence the caller knows besides the depth (analyze: where the bytes sit in the stack). */
  evidence?: Evidence[];
  commands?: string[];
}

/** The finding for an image `layers` deep, or undefined when it is shallow enough and under any ceiling. */
export function layerDepthFinding(input: LayerDepthInput): Finding & { id: typeof LAYER_DEPTH_FINDING.id } | undefined {
  const { layers, highestLayers } = input;
  const overCeiling = highestLayers !== undefined && layers > highestLayers;
  if (layers < LAYER_DEPTH_WARN && !overCeiling) return undefined;
  const evidence: Evidence[] = [
    { label: 'layers', value: layers },
    { label: 'layer-store limit', value: LAYER_STORE_MAX_DEPTH },
    { label: 'overlay2 lower-layer limit', value: OVERLAY2_MAX_LOWERS },
    { label: 'layers left before the limit', value: LAYER_STORE_MAX_DEPTH - layers },
    ...(input.evidence ?? []),
  ];
  if (highestLayers !== undefined) evidence.push({ label: 'threshold', value: highestLayers });
  return {
    id: LAYER_DEPTH_FINDING.id,
    severity: overCeiling || layers >= LAYER_DEPTH_ERROR ? 'error' : 'warn',
    title: `${layers} layers: every one is another overlay2 lower directory and another blob to pull (Docker refuses images deeper than ${LAYER_STORE_MAX_DEPTH})`,
    evidence,
    fix: {
      summary: 'Merge RUN steps, use a multi-stage build that copies the result into a fresh stage, or squash the image.',
      ...(input.commands ? { commands: input.commands } : {}),
    },
    subject: input.subject,
  };
}
