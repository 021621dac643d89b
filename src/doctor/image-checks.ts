/** Image depth against overlay2's limit of 128 lower layers. */
import type { Finding } from '../findings.js';
import type { DoctorFacts } from './facts.js';

/** overlay2 mounts at most 128 lower directories; a container adds its init layer to the image's. */
export const OVERLAY2_MAX_LOWERS = 128;
export const DEPTH_WARN = 100;
export const DEPTH_ERROR = 120;

export function imageChecks(facts: DoctorFacts): Finding[] {
  return (facts.imageDepths ?? [])
    .filter((d) => d.layers >= DEPTH_WARN)
    .map((d) => ({
      id: 'image/layer-depth',
      severity: d.layers >= DEPTH_ERROR ? 'error' as const : 'warn' as const,
      title: `${d.tags[0] ?? d.id.slice(7, 19)} has ${d.layers} layers; overlay2 cannot mount more than ${OVERLAY2_MAX_LOWERS - 1} image layers`,
      evidence: [
        { label: 'layers', value: d.layers },
        { label: 'overlay2 lower-layer limit', value: OVERLAY2_MAX_LOWERS },
        { label: 'layers left before the limit', value: OVERLAY2_MAX_LOWERS - 1 - d.layers },
      ],
      fix: {
        summary: 'Merge RUN steps, use a multi-stage build that copies the result into a fresh stage, or squash the image.',
        commands: [`stowage analyze ${d.tags[0] ?? d.id}`],
      },
      subject: { kind: 'image', id: d.tags[0] ?? d.id },
    }));
}
