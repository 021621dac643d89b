/** Image depth against Docker's layer limits; the finding itself is shared with analyze (image/layer-depth-finding.ts). */
import type { DoctorFacts } from './facts.js';
import { layerDepthFinding } from '../image/layer-depth-finding.js';
import type { DoctorFinding } from './finding-ids.js';

export function imageChecks(facts: DoctorFacts): DoctorFinding[] {
  return (facts.imageDepths ?? []).flatMap((d) => {
    const name = d.tags[0] ?? d.id;
    const f = layerDepthFinding({ layers: d.layers, subject: { kind: 'image', id: name }, commands: [`stowage analyze ${name}`] });
    return f ? [f] : [];
  });
}
