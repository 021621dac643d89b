/** Clutter: exited containers, volumes nothing mounts, build cache nobody has used for a while. */
import type { DoctorFacts } from './facts.js';
import { count, formatBytes } from '../units.js';
import { DOCTOR_FINDINGS, type DoctorFinding } from './finding-ids.js';

export const OLD_CACHE_DAYS = 30;
const DAY_MS = 86_400_000;

export function clutterChecks(facts: DoctorFacts, nowMs: number): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const subject = { kind: 'engine' as const, id: facts.engine.endpoint };
  const usage = facts.usage;
  const exited = (facts.containers ?? []).filter((c) => c.state === 'exited' || c.state === 'dead' || c.state === 'created');
  if (exited.length > 0) {
    const sizes = new Map((usage?.containers ?? []).map((c) => [c.id, c.sizeRw]));
    const bytes = exited.reduce((a, c) => a + (sizes.get(c.id) ?? 0), 0);
    findings.push({
      id: DOCTOR_FINDINGS.clutterExitedContainers.id, severity: exited.length >= 50 ? 'warn' : 'info',
      title: `${count(exited.length, 'stopped container')} ${exited.length === 1 ? 'keeps its writable layer' : 'keep their writable layers'} (${formatBytes(bytes)})`,
      evidence: [
        { label: 'stopped containers', value: exited.length },
        { label: 'writable layers', value: bytes, unit: 'bytes' },
        ...exited.slice(0, 5).map((c) => ({ label: c.names[0] ?? c.id.slice(0, 12), value: `${c.state}, ${c.status}` })),
      ],
      fix: { summary: 'Remove stopped containers, and run short-lived ones with --rm.', commands: ['stowage prune --skip dangling-images,build-cache', 'docker container prune'] },
      subject,
    });
  }
  const unused = (usage?.volumes ?? []).filter((v) => v.refCount === 0);
  if (unused.length > 0) {
    const bytes = unused.reduce((a, v) => a + Math.max(0, v.size), 0);
    findings.push({
      id: DOCTOR_FINDINGS.clutterUnusedVolumes.id, severity: 'info',
      title: `${count(unused.length, 'volume')} ${unused.length === 1 ? 'is' : 'are'} mounted by no container (${formatBytes(bytes)})`,
      evidence: [
        { label: 'unused volumes', value: unused.length },
        { label: 'size', value: bytes, unit: 'bytes' },
        ...unused.slice(0, 5).map((v) => ({ label: 'volume', value: v.name })),
      ],
      fix: { summary: 'Volumes hold data: check each one before removing it.', commands: ['stowage prune --skip containers,dangling-images,build-cache --volumes anonymous', 'docker volume ls -f dangling=true', 'docker volume rm NAME'] },
      subject,
    });
  }
  const old = (usage?.buildCache ?? []).filter((r) => {
    const last = Date.parse(r.lastUsedAt ?? r.createdAt ?? '');
    return !r.inUse && Number.isFinite(last) && nowMs - last > OLD_CACHE_DAYS * DAY_MS;
  });
  if (old.length > 0) {
    const bytes = old.filter((r) => !r.shared).reduce((a, r) => a + r.size, 0);
    findings.push({
      id: DOCTOR_FINDINGS.clutterOldBuildCache.id, severity: 'info',
      title: `${count(old.length, 'build cache record')} unused for over ${OLD_CACHE_DAYS} days (${formatBytes(bytes)})`,
      evidence: [{ label: 'records', value: old.length }, { label: 'size', value: bytes, unit: 'bytes' }],
      fix: { summary: 'Prune cache by age.', commands: [`stowage prune --skip containers,dangling-images --build-cache-until ${OLD_CACHE_DAYS * 24}h`] },
      subject,
    });
  }
  return findings;
}
