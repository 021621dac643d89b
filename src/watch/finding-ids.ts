/**
 * Every finding `stowage watch` can raise: its stable id, severities, meaning and where it is documented.
 * Findings are made with `id: WATCH_FINDINGS.x.id`, so an id outside this table does not compile.
 */
import type { Finding, FindingInfo } from '../findings.js';

const DOC = 'README.md#finding-ids-2';

export const WATCH_FINDINGS = {
  exhaustionPredicted: { id: 'watch/exhaustion-predicted', severities: ['warn'], doc: DOC,
    meaning: 'at the current IOPS the burst credits run out within the horizon' },
  creditsExhausted: { id: 'watch/credits-exhausted', severities: ['error'], doc: DOC,
    meaning: 'IOPS pinned at the baseline while I/O waits: the burst bucket is empty' },
  blockedTasks: { id: 'watch/blocked-tasks', severities: ['warn'], doc: DOC,
    meaning: 'tasks stuck in D state (uninterruptible I/O wait) for several samples in a row' },
  diskNearlyFull: { id: 'watch/disk-nearly-full', severities: ['warn', 'error'], doc: DOC,
    meaning: "the data-root's filesystem is nearly full" },
  canarySlow: { id: 'watch/canary-slow', severities: ['warn'], doc: DOC,
    meaning: "the canary container's start took k x its rolling median" },
  canaryFailed: { id: 'watch/canary-failed', severities: ['warn'], doc: DOC,
    meaning: 'the canary container could not be created, started or removed' },
} as const satisfies Record<string, FindingInfo>;

export type WatchFindingId = (typeof WATCH_FINDINGS)[keyof typeof WATCH_FINDINGS]['id'];

export interface WatchFinding extends Finding {
  id: WatchFindingId;
}
