/** What a migration leaves behind, by name and with the reason, instead of silence. */
import type { EngineClient } from '../engine/engine-client.js';
import type { DiskUsage } from '../engine/types.js';
import type { NotMigrated, StoreImage } from './store-manifest.js';

export async function notMigratedOn(engine: EngineClient, usage: DiskUsage, images: StoreImage[], volumesExported: number | undefined,
  remoteVolumes: string[] = [], containersCommitted = false): Promise<NotMigrated[]> {
  const out: NotMigrated[] = [];
  if (usage.buildCache.length) {
    out.push({ kind: 'build-cache', count: usage.buildCache.length, reason: 'build cache is the builder\'s, not images; the next build on the target makes it again' });
  }
  const containers = await engine.listContainers({ all: true });
  if (containers.length) {
    out.push({ kind: 'containers', count: containers.length, names: containers.map((c) => c.names[0] ?? c.id.slice(0, 12)).sort(),
      reason: containersCommitted
        ? 'their writable layers were committed as images stowage-migrate/NAME:ID12 and migrated with the others; their configuration (ports, environment, mounts, restart policy, networks) is not carried: recreate them from those images, e.g. with their compose files'
        : 'containers (their configuration and writable layers) are not carried: recreate them from their images, volumes and compose files, or pass --containers to carry their writable layers as images' });
  }
  const networks = (await engine.listNetworks()).filter((n) => !n.predefined);
  if (networks.length) out.push({ kind: 'networks', count: networks.length, names: networks.map((n) => n.name).sort(), reason: 'networks are configuration: recreate them (`docker network create`) on the target' });
  out.push({ kind: 'plugins', reason: 'plugins are not read; reinstall them with `docker plugin install` on the target' });
  out.push({ kind: 'swarm', reason: 'swarm state (services, secrets, configs) belongs to the cluster, not to the storage' });
  const anonymous = (await engine.listVolumes()).filter((v) => v.anonymous);
  if (anonymous.length) out.push({ kind: 'anonymous-volumes', count: anonymous.length, reason: 'anonymous volumes belong to their containers, which are not carried' });
  const digested = images.filter((i) => i.repoDigests.length);
  if (digested.length) {
    out.push({ kind: 'repo-digests', count: digested.length, names: digested.flatMap((i) => i.repoDigests).sort(),
      reason: 'recorded in the store, but an engine sets repo digests only on a pull or push: `docker pull` the tag on the target restores them without downloading the layers it has' });
  }
  // a volume whose directory is on this host gets its xattrs and holes back (host-volume.ts); others go through the archive API only
  if (volumesExported && remoteVolumes.length) {
    out.push({ kind: 'volume-xattrs', count: remoteVolumes.length, names: [...remoteVolumes].sort(), reason: 'these volumes are not on this host (a remote engine or another volume driver): the engine\'s archive API carries only the security.capability extended attribute of their files; other xattrs (user.*, trusted.*) are not carried' });
    out.push({ kind: 'sparse-files', count: remoteVolumes.length, names: [...remoteVolumes].sort(), reason: 'these volumes are not on this host: the engine\'s archive API reads holes of sparse files as zeros, so such files are restored with the same content but take their full size' });
  }
  return out;
}
