/** Image depth against Docker's layer limits (image/layer-limits.ts). */
import type { Finding } from '../findings.js';
import type { DoctorFacts } from './facts.js';
import { LAYER_DEPTH_ERROR, LAYER_DEPTH_WARN, LAYER_STORE_MAX_DEPTH, OVERLAY2_MAX_LOWERS } from '../image/layer-limits.js';


export function imageChecks(facts: DoctorFacts): Finding[] {
  return (facts.imageDepths ?? [])
    .filter((d) => d.layers >= LAYER_DEPTH_WARN)
    .map((d) => ({
      id: 'image/layer-depth',
      severity: d.layers >= LAYER_DEPTH_ERROR ? 'error' as const : 'warn' as const,
      title: `${d.tags[0] ?? d.id.slice(7, 19)} has ${d.layers} layers; Docker refuses images deeper than ${LAYER_STORE_MAX_DEPTH}`,
      evidence: [
        { label: 'layers', value: d.layers },
        { label: 'layer-store limit', value: LAYER_STORE_MAX_DEPTH },
        { label: 'overlay2 lower-layer limit', value: OVERLAY2_MAX_LOWERS },
        { label: 'layers left before the limit', value: LAYER_STORE_MAX_DEPTH - d.layers },
      ],
      fix: {
        summary: 'Merge RUN steps, use a multi-stage build that copies the result into a fresh stage, or squash the image.',
        commands: [`stowage analyze ${d.tags[0] ?? d.id}`],
      },
      subject: { kind: 'image', id: d.tags[0] ?? d.id },
    }));
}
