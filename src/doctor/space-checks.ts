/** Space held by images, containers, volumes and build cache, what could be reclaimed, and orphans. */
import type { DoctorFacts } from './facts.js';
import { count, formatBytes } from '../units.js';
import { DOCTOR_FINDINGS, type DoctorFinding } from './finding-ids.js';

const GB = 1e9;
export const RECLAIMABLE_WARN_BYTES = 10 * GB;
export const BUILD_CACHE_WARN_BYTES = 5 * GB;
/** Unbounded logs this large are worth naming; from this size, or a tenth of the filesystem, a warning. */
export const LOGS_INFO_BYTES = 1024 * 1024;
export const LOGS_WARN_BYTES = 1 * GB;

export function spaceChecks(facts: DoctorFacts): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const usage = facts.usage;
  const engineSubject = { kind: 'engine' as const, id: facts.engine.endpoint };
  if (usage) {
    const t = usage.totals;
    const reclaimable = t.images.reclaimable + t.containers.reclaimable + t.volumes.reclaimable + t.buildCache.reclaimable;
    const fsSize = facts.disk?.space?.totalBytes ?? 0;
    if (reclaimable > 0) {
      const heavy = reclaimable >= RECLAIMABLE_WARN_BYTES || (fsSize > 0 && reclaimable >= fsSize * 0.25);
      findings.push({
        id: DOCTOR_FINDINGS.spaceReclaimable.id, severity: heavy ? 'warn' : 'info',
        title: `${formatBytes(reclaimable)} of Docker's space is reclaimable (as \`docker system df\` counts it)`,
        evidence: [
          { label: 'images', value: `${formatBytes(t.images.size)} in ${t.images.count}, ${formatBytes(t.images.reclaimable)} reclaimable` },
          { label: 'containers', value: `${formatBytes(t.containers.size)} in ${t.containers.count}, ${formatBytes(t.containers.reclaimable)} reclaimable` },
          { label: 'local volumes', value: `${formatBytes(t.volumes.size)} in ${t.volumes.count}, ${formatBytes(t.volumes.reclaimable)} reclaimable` },
          { label: 'build cache', value: `${formatBytes(t.buildCache.size)} in ${t.buildCache.count}, ${formatBytes(t.buildCache.reclaimable)} reclaimable` },
          { label: 'reclaimable', value: reclaimable, unit: 'bytes' },
        ],
        fix: {
          summary: 'Remove what no container uses, narrowest first: `stowage prune` prints the plan (what goes with its bytes, what stays and why) and removes only with --apply; volumes hold data, so check them before removing.',
          commands: ['stowage prune --images unused --volumes anonymous', 'stowage prune --images unused --apply'],
        },
        subject: engineSubject,
      });
    }
    const dangling = usage.images.filter((i) => i.dangling);
    if (dangling.length > 0) {
      const bytes = dangling.reduce((a, i) => a + Math.max(0, i.size - Math.max(0, i.sharedSize)), 0);
      findings.push({
        id: DOCTOR_FINDINGS.spaceDanglingImages.id, severity: 'warn',
        title: `${count(dangling.length, 'dangling image')} (untagged, superseded by newer builds) hold ${formatBytes(bytes)} of their own`,
        evidence: [
          { label: 'dangling images', value: dangling.length },
          { label: 'unique bytes', value: bytes, unit: 'bytes' },
          ...dangling.slice(0, 5).map((i) => ({ label: 'image', value: i.id.slice(7, 19) })),
        ],
        fix: { summary: 'Remove them; tag images you mean to keep.', commands: ['stowage prune --skip containers,build-cache', 'docker image prune'] },
        subject: engineSubject,
      });
    }
    if (t.buildCache.count > 0) {
      findings.push({
        id: DOCTOR_FINDINGS.spaceBuildCache.id, severity: t.buildCache.reclaimable >= BUILD_CACHE_WARN_BYTES ? 'warn' : 'info',
        title: `Build cache holds ${formatBytes(t.buildCache.size)} in ${count(t.buildCache.count, 'record')}, ${formatBytes(t.buildCache.reclaimable)} not in use`,
        evidence: [
          { label: 'records', value: t.buildCache.count },
          { label: 'size', value: t.buildCache.size, unit: 'bytes' },
          { label: 'reclaimable', value: t.buildCache.reclaimable, unit: 'bytes' },
        ],
        fix: {
          summary: 'Keep recent cache and cap the rest: prune by age, and set a garbage-collection budget for BuildKit.',
          commands: ['stowage prune --skip containers,dangling-images --build-cache-until 168h', 'docker builder prune --keep-storage 10GB'],
          config: '/etc/docker/daemon.json: { "builder": { "gc": { "enabled": true, "defaultKeepStorage": "10GB" } } }',
        },
        subject: engineSubject,
      });
    }
  }
  findings.push(...logFindings(facts));
  const orphans = facts.orphans;
  if (orphans && orphans.directories.length > 0) {
    const driverDir = `${facts.dataRoot}/overlay2`;
    findings.push({
      id: DOCTOR_FINDINGS.spaceOrphanedLayers.id, severity: 'warn',
      title: `${orphans.directories.length} overlay2 layer director${orphans.directories.length === 1 ? 'y is' : 'ies are'} referenced by no image, container or build cache`,
      evidence: [
        { label: 'directories', value: orphans.directories.length },
        { label: orphans.size.complete ? 'size' : 'size (at least; walk stopped early)', value: orphans.size.bytes, unit: 'bytes' },
        ...orphans.directories.slice(0, 5).map((d) => ({ label: 'directory', value: `${driverDir}/${d}` })),
      ],
      fix: {
        summary: 'These are left over from interrupted pulls, builds or removals. Stop dockerd before removing them, and keep a list in case.',
        commands: ['systemctl stop docker', ...orphans.directories.slice(0, 3).map((d) => `rm -rf ${driverDir}/${d}`), 'systemctl start docker'],
      },
      subject: { kind: 'path', id: driverDir },
    });
  }
  return findings;
}

/**
 * Container logs, the classic disk-filler: json-file keeps every line forever unless max-size is set, and
 * `docker system df` counts none of it (issue 20).
 */
function logFindings(facts: DoctorFacts): DoctorFinding[] {
  const logs = facts.logs;
  if (!logs) return [];
  const unbounded = logs.containers.filter((l) => !l.bounded && l.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  if (unbounded.length === 0 || logs.unboundedBytes < LOGS_INFO_BYTES) return [];
  const fsSize = facts.disk?.space?.totalBytes ?? 0;
  const heavy = logs.unboundedBytes >= LOGS_WARN_BYTES || (fsSize > 0 && logs.unboundedBytes >= fsSize * 0.1);
  const limit = (l: { maxSize: string | undefined; maxFile: string | undefined }) =>
    l.maxSize ? `max-size ${l.maxSize}${l.maxFile ? `, max-file ${l.maxFile}` : ''}` : 'no max-size';
  const defaults = logs.defaultOpts ? Object.entries(logs.defaultOpts).map(([k, v]) => `${k}=${v}`).join(', ') : 'none in /etc/docker/daemon.json';
  return [{
    id: DOCTOR_FINDINGS.spaceContainerLogs.id, severity: heavy ? 'warn' : 'info',
    title: `${count(unbounded.length, 'container log')} ${unbounded.length === 1 ? 'has' : 'have'} no size limit and hold ${formatBytes(logs.unboundedBytes)}: they grow until the disk fills`,
    evidence: [
      { label: 'unbounded log bytes', value: logs.unboundedBytes, unit: 'bytes' },
      { label: 'all container log bytes', value: logs.totalBytes, unit: 'bytes' },
      { label: 'containers with logs', value: logs.containers.filter((l) => l.bytes > 0).length },
      { label: 'default log driver', value: logs.defaultDriver ?? 'unknown' },
      { label: 'default log-opts', value: defaults },
      ...unbounded.slice(0, 5).map((l) => ({ label: `${l.name} (${l.state}, ${l.driver}, ${limit(l)})`, value: l.bytes, unit: 'bytes' })),
      ...unbounded.slice(0, 1).map((l) => ({ label: 'largest log file', value: l.path ?? 'unknown' })),
    ],
    fix: {
      summary: 'Cap json-file logs by default in daemon.json and restart dockerd; the limits apply to containers created afterwards, so re-create long-lived ones. Meanwhile empty a log in place (a removed file keeps its space until the container stops).',
      commands: [
        ...unbounded.slice(0, 3).map((l) => `truncate -s 0 ${l.path ?? `$(docker inspect --format '{{.LogPath}}' ${l.name})`}`),
        'docker run --log-opt max-size=10m --log-opt max-file=3 …',
      ],
      config: '/etc/docker/daemon.json: { "log-driver": "json-file", "log-opts": { "max-size": "10m", "max-file": "3" } }',
    },
    subject: { kind: 'engine', id: facts.engine.endpoint },
  }];
}
