/**
 * Every finding `stowage bench` can raise: its stable id, severities, meaning and where it is documented.
 * Findings are made with `id: BENCH_FINDINGS.x.id`, so an id outside this table does not compile.
 */
import type { Finding, FindingInfo } from '../findings.js';

const DOC = 'README.md#finding-ids-1';

export const BENCH_FINDINGS = {
  startStall: { id: 'bench/start-stall', severities: ['warn', 'error'], doc: DOC,
    meaning: 'one episode of consecutive slow starts, the host state during it and its cause' },
  burstCredits: { id: 'bench/burst-credits', severities: ['info', 'warn', 'error'], doc: DOC,
    meaning: 'gp2 credit estimate for the data-root disk' },
  startFailures: { id: 'bench/start-failures', severities: ['warn'], doc: DOC, meaning: 'iterations that failed (the first error)' },
  slowSyncWrites: { id: 'bench/slow-sync-writes', severities: ['warn', 'error'], doc: DOC,
    meaning: '1 MiB sync writes too slow for container starts and layer commits' },
  containerIoSlower: { id: 'bench/container-io-slower', severities: ['info', 'warn', 'error'], doc: DOC,
    meaning: 'I/O inside a container much slower than on the host; with --write-iops, what the container got against your limit' },
  buildTime: { id: 'bench/build-time', severities: ['info', 'warn'], doc: DOC,
    meaning: "the build's time, rating, size, layers, data-root growth" },
  slowBuildStep: { id: 'bench/slow-build-step', severities: ['warn'], doc: DOC,
    meaning: 'a step taking >= 30% of the build and >= 10 s, with the lint findings on its instruction' },
  helloFailed: { id: 'bench/hello-failed', severities: ['error'], doc: DOC,
    meaning: 'bench hello could not push, pull or start an image to ready (the first error)' },
  helloSharedLayers: { id: 'bench/hello-shared-layers', severities: ['warn'], doc: DOC,
    meaning: "another local image holds some of the image's layers, so its pulls were not from a clean state" },
} as const satisfies Record<string, FindingInfo>;

export type BenchFindingId = (typeof BENCH_FINDINGS)[keyof typeof BENCH_FINDINGS]['id'];

export interface BenchFinding extends Finding {
  id: BenchFindingId;
}
