/**
 * `stowage provision` (issue 16): put Docker's data-root on a dedicated or ephemeral disk, safely. Plan
 * (provision-plan.ts) first, then apply (provision-apply.ts) the same plan, journaled and resumable.
 */
export { DEFAULT_MIN_SIZE, DEFAULT_MOUNT_POINT, partitionNode, systemdEngineControl } from './provision-options.js';
export type { EngineControl, ProvisionOptions, ProvisionReport, ProvisionStep } from './provision-options.js';
export { planProvision } from './provision-plan.js';
export { applyProvision } from './provision-apply.js';
