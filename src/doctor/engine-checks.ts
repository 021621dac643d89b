/** Engine and storage-driver checks: reachability, driver choice and status, d_type. */
import type { EngineFailure } from '../errors.js';
import type { EngineInfo } from '../engine/types.js';
import type { DoctorFacts, EngineFacts } from './facts.js';
import { DOCTOR_FINDINGS, type DoctorFinding, type DoctorFindingId } from './finding-ids.js';

const UNREACHABLE_IDS: Record<EngineFailure, DoctorFindingId> = {
  'socket-missing': DOCTOR_FINDINGS.engineSocketMissing.id,
  'permission-denied': DOCTOR_FINDINGS.enginePermissionDenied.id,
  'not-running': DOCTOR_FINDINGS.engineNotRunning.id,
  timeout: DOCTOR_FINDINGS.engineTimeout.id,
  'api-version': DOCTOR_FINDINGS.engineApiVersion.id,
  'bad-endpoint': DOCTOR_FINDINGS.engineUnreachable.id,
  'name-not-resolved': DOCTOR_FINDINGS.engineNameNotResolved.id,
  'connection-refused': DOCTOR_FINDINGS.engineConnectionRefused.id,
  'connection-reset': DOCTOR_FINDINGS.engineUnreachable.id,
  'host-unreachable': DOCTOR_FINDINGS.engineHostUnreachable.id,
  'not-docker': DOCTOR_FINDINGS.engineNotDocker.id,
  'not-ssh': DOCTOR_FINDINGS.engineNotSsh.id,
  'ssh-auth-failed': DOCTOR_FINDINGS.engineSshAuthFailed.id,
  'ssh-remote-failed': DOCTOR_FINDINGS.engineSshRemoteFailed.id,
  unknown: DOCTOR_FINDINGS.engineUnreachable.id,
};

export function engineReachability(engine: EngineFacts): DoctorFinding[] {
  if (engine.reachable) return [];
  return [{
    id: UNREACHABLE_IDS[engine.failure],
    severity: 'error',
    title: `Docker engine unreachable: ${engine.message}`,
    evidence: [
      { label: 'endpoint', value: engine.endpoint },
      { label: 'cause', value: engine.failure },
    ],
    fix: { summary: engine.hint },
    subject: { kind: 'engine', id: engine.endpoint },
  }];
}

const REMOVED_DRIVERS: Record<string, string> = {
  aufs: 'aufs was deprecated in Docker 20.10 and removed in Docker 24',
  overlay: 'the legacy `overlay` driver was deprecated in Docker 20.10 and removed in Docker 24; it uses many more inodes than overlay2',
  devicemapper: 'devicemapper was deprecated in Docker 20.10 and removed in Docker 25',
};

const MIGRATE_FIX = 'Move to overlay2: export what you need to keep, set `"storage-driver": "overlay2"` in /etc/docker/daemon.json, restart dockerd, and re-pull or re-import the images (images under the old driver become invisible).';

export function engineChecks(facts: DoctorFacts): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  if (facts.daemonConfig.parseError) {
    findings.push({
      id: DOCTOR_FINDINGS.engineDaemonConfigInvalid.id,
      severity: 'error',
      title: '/etc/docker/daemon.json is not valid JSON: dockerd will refuse to start',
      evidence: [{ label: 'parse error', value: facts.daemonConfig.parseError }],
      fix: { summary: 'Fix the JSON syntax, then restart dockerd.', commands: ['python3 -m json.tool /etc/docker/daemon.json'] },
      subject: { kind: 'path', id: '/etc/docker/daemon.json' },
    });
  }
  const engine = facts.engine;
  if (!engine.reachable) return [...findings, ...unusableFsFindings(facts, undefined), ...dtypeFindings(facts, undefined)];
  const { info } = engine;
  const driver = info.storageDriver;
  const status = info.driverStatus;
  const subject = { kind: 'engine' as const, id: engine.endpoint };
  // the containerd image store reports no backing filesystem, so say what the mount table says
  const backing = status['Backing Filesystem'] ?? (facts.disk?.mount ? `${facts.disk.mount.fsType} (from mountinfo)` : 'unknown');
  const driverEvidence = [
    { label: 'storage driver', value: driver },
    { label: 'backing filesystem', value: backing },
    { label: 'data-root', value: info.dockerRootDir },
    { label: 'engine version', value: info.serverVersion },
  ];
  if (REMOVED_DRIVERS[driver]) {
    findings.push({
      id: DOCTOR_FINDINGS.engineDeprecatedDriver.id, severity: 'warn',
      title: `Storage driver ${driver} is deprecated: ${REMOVED_DRIVERS[driver]}`,
      evidence: driverEvidence, fix: { summary: MIGRATE_FIX }, subject,
    });
  }
  if (driver === 'devicemapper' && status['Data loop file']) {
    findings.push({
      id: DOCTOR_FINDINGS.engineDevicemapperLoop.id, severity: 'error',
      title: 'devicemapper runs on loop files (loop-lvm): every write goes through a sparse file and a loop device',
      evidence: [...driverEvidence, { label: 'data loop file', value: status['Data loop file'] }],
      fix: { summary: `${MIGRATE_FIX} If you must stay on devicemapper, give it a real thin pool (\`dm.thinpooldev\`).` },
      subject,
    });
  }
  const dtypeMissing = dtypeFindings(facts, info);
  const unusable = unusableFsFindings(facts, info);
  findings.push(...unusable);
  if (driver === 'vfs' && dtypeMissing.length === 0 && unusable.length === 0) {
    findings.push({
      id: DOCTOR_FINDINGS.engineVfsDriver.id, severity: 'warn',
      title: 'The vfs driver copies every layer in full: starts, builds and disk use all grow with image size',
      evidence: driverEvidence, fix: { summary: MIGRATE_FIX }, subject,
    });
  }
  findings.push(...dtypeMissing);
  if (driver === 'overlay2' && status['Native Overlay Diff'] === 'false') {
    findings.push({
      id: DOCTOR_FINDINGS.engineNoNativeDiff.id, severity: 'info',
      title: 'overlay2 cannot use native diffs: docker build, commit and push compute layer diffs the slow way',
      evidence: [
        ...driverEvidence,
        { label: 'Native Overlay Diff', value: 'false' },
        ...(status.userxattr ? [{ label: 'userxattr', value: status.userxattr }] : []),
        ...(facts.disk?.overlayModule.metacopy === undefined ? [] : [{ label: 'overlay metacopy', value: facts.disk.overlayModule.metacopy }]),
        ...(facts.disk?.overlayModule.redirectDir === undefined ? [] : [{ label: 'overlay redirect_dir', value: facts.disk.overlayModule.redirectDir }]),
      ],
      fix: {
        summary: 'Native diff is off when the kernel has overlay redirect_dir or metacopy on; turn them off if nothing needs them.',
        commands: ['cat /sys/module/overlay/parameters/redirect_dir /sys/module/overlay/parameters/metacopy'],
      },
      subject,
    });
  }
  if (info.containerdImageStore) {
    findings.push({
      id: DOCTOR_FINDINGS.engineContainerdStore.id, severity: 'info',
      title: 'Images are kept in containerd\'s image store: layer data lives under containerd\'s root, not data-root',
      evidence: [...driverEvidence, { label: 'driver-type', value: status['driver-type'] ?? '' }],
      fix: { summary: 'Check the disk under containerd\'s root (usually /var/lib/containerd) too; `docker system df` sizes come from its snapshotter.' },
      subject,
    });
  }
  return findings;
}

const DTYPE_FIX = {
  summary: 'Re-create the filesystem with d_type (XFS: ftype=1; ext4: the filetype feature, on by default), move data-root onto it, and pin `"storage-driver": "overlay2"` so dockerd fails loudly instead of falling back.',
  commands: ['mkfs.xfs -n ftype=1 /dev/DEVICE', 'mkfs.ext4 /dev/DEVICE'],
};

/**
 * A filesystem without d_type under data-root: overlay2 refuses it or misbehaves, and dockerd 20.10 with no
 * driver pinned silently falls back to vfs, so the cause of the slowness hides behind the driver name.
 */
function dtypeFindings(facts: DoctorFacts, info: EngineInfo | undefined): DoctorFinding[] {
  const probe = facts.disk?.dtype;
  const engineSays = info?.driverStatus['Supports d_type'];
  if (probe?.supported !== false && engineSays !== 'false') return [];
  const evidence = [
    { label: 'data-root', value: facts.dataRoot },
    { label: 'filesystem', value: facts.disk?.mount ? `${facts.disk.mount.fsType} on ${facts.disk.mount.source}` : 'unknown' },
    ...(probe ? [{ label: 'probe', value: probe.evidence }] : []),
    ...(engineSays ? [{ label: 'Supports d_type (engine)', value: engineSays }] : []),
    ...(info ? [{ label: 'storage driver', value: info.storageDriver }] : []),
  ];
  const subject = { kind: 'filesystem' as const, id: facts.disk?.mount?.mountPoint ?? facts.dataRoot };
  if (info?.storageDriver === 'vfs') {
    return [{
      id: DOCTOR_FINDINGS.engineVfsDriver.id, severity: 'error',
      title: 'dockerd fell back to the vfs driver because the filesystem under data-root has no d_type: every layer is a full copy',
      evidence, fix: DTYPE_FIX, subject,
    }];
  }
  if (info && info.storageDriver !== 'overlay2' && info.storageDriver !== 'overlay') return [];
  return [{
    id: DOCTOR_FINDINGS.engineNoDtype.id, severity: 'error',
    title: info
      ? 'The filesystem under data-root does not record file types (d_type): overlay2 misbehaves on it'
      : 'The filesystem under data-root does not record file types (d_type): overlay2 will not start on it',
    evidence, fix: DTYPE_FIX, subject,
  }];
}

/**
 * What kind of filesystem a mount type is, when overlay2 cannot keep its layers on it: dockerd refuses
 * overlay2 on FUSE, network and shared-folder filesystems, and 20.10 with no driver pinned then silently
 * falls back to vfs (issue 20; real case 3's data-root on a vboxsf share).
 */
export function overlayUnusableFs(fsType: string): string | undefined {
  if (fsType === 'fuse' || fsType === 'fuseblk' || fsType.startsWith('fuse.')) return 'a FUSE filesystem';
  if (/^nfs4?$/.test(fsType)) return 'a network filesystem (NFS)';
  if (/^(cifs|smb3|smbfs)$/.test(fsType)) return 'a network filesystem (SMB/CIFS)';
  if (fsType === 'vboxsf') return 'a VirtualBox shared folder';
  if (fsType === '9p') return 'a 9p shared folder';
  if (fsType === 'prl_fs' || fsType === 'vmhgfs') return 'a VM shared folder';
  return undefined;
}

function unusableFsFindings(facts: DoctorFacts, info: EngineInfo | undefined): DoctorFinding[] {
  const mount = facts.disk?.mount;
  const kind = mount ? overlayUnusableFs(mount.fsType) : undefined;
  if (!mount || !kind) return [];
  const driver = info?.storageDriver;
  // fuse-overlayfs and the containerd store are made for such places; other drivers are judged elsewhere
  if (driver && driver !== 'vfs' && driver !== 'overlay2' && driver !== 'overlay') return [];
  const fs = `${mount.fsType} (${kind})`;
  const title = driver === 'vfs'
    ? `data-root is on ${fs}, which overlay2 cannot use: dockerd fell back to the vfs driver, which copies every layer in full`
    : driver
      ? `data-root is on ${fs}, which overlay2 cannot use reliably`
      : `data-root is on ${fs}, which overlay2 cannot use: dockerd will not start with overlay2, or will fall back to vfs`;
  return [{
    id: DOCTOR_FINDINGS.engineUnusableFilesystem.id, severity: 'error',
    title,
    evidence: [
      { label: 'data-root', value: facts.dataRoot },
      { label: 'filesystem', value: `${mount.fsType} on ${mount.source}, mounted at ${mount.mountPoint}` },
      ...(driver ? [{ label: 'storage driver', value: driver }] : []),
    ],
    fix: {
      summary: 'Put data-root on a local block-device filesystem (ext4, or XFS with ftype=1): a disk or partition of its own (in a VM, a second virtual disk, found by /dev/disk/by-id since names can swap between boots), then point `data-root` at it and restart dockerd. Setting `"storage-driver": "overlay2"` does not help on this filesystem: dockerd then refuses to start. Shared or network folders can still be bind-mounted into containers as volumes.',
      commands: ['mkfs.ext4 /dev/disk/by-id/DISK', 'mkdir -p /srv/docker && mount /dev/disk/by-id/DISK /srv/docker', 'systemctl restart docker'],
      config: '/etc/docker/daemon.json: { "data-root": "/srv/docker", "storage-driver": "overlay2" }',
    },
    subject: { kind: 'filesystem', id: mount.mountPoint },
  }];
}
