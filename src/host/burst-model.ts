// The gp2 credit model is pure arithmetic and lives in measure/burst-model.ts; re-exported here only until
// doctor/disk-checks.ts (and its unit test) import it from there (issue 13: host/ reads, measure/ computes).
export { gp2Model, simulateCredits, GP2_NO_BURST_GIB, type BurstModel } from '../measure/burst-model.js';
