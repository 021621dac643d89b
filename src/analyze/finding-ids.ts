/**
 * Every finding analyze can raise: its stable id, severities, meaning and where it is documented. Findings
 * are made with `id: ANALYZE_FINDINGS.x.id`, so an id outside this table does not compile.
 */
import type { Finding, FindingInfo } from '../findings.js';
import { LAYER_DEPTH_FINDING } from '../image/layer-depth-finding.js';

const DOC = 'README.md#findings';

export const ANALYZE_FINDINGS = {
  metadataCopy: { id: 'image/metadata-copy', severities: ['warn', 'error'], doc: DOC,
    meaning: 'a layer copies files only to change mode, owner or xattrs; error above --highest-metadata-bytes' },
  wastedBytes: { id: 'image/wasted-bytes', severities: ['info', 'warn', 'error'], doc: DOC,
    meaning: 'earlier copies overwritten or deleted; warn from 5% wasted, error above --highest-wasted-bytes or --highest-wasted-share' },
  lowEfficiency: { id: 'image/low-efficiency', severities: ['error'], doc: DOC,
    meaning: 'efficiency below --lowest-efficiency' },
  layerDepth: { ...LAYER_DEPTH_FINDING, doc: DOC },
} as const satisfies Record<string, FindingInfo>;

export type AnalyzeFindingId = (typeof ANALYZE_FINDINGS)[keyof typeof ANALYZE_FINDINGS]['id'];

export interface AnalyzeFinding extends Finding {
  id: AnalyzeFindingId;
}

/** The finding ids analyze defines. */
export const ANALYZE_FINDING_IDS: readonly AnalyzeFindingId[] = Object.values(ANALYZE_FINDINGS).map((f) => f.id);
