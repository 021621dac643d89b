/**
 * Every finding doctor can raise: its stable id, severities, meaning and where it is documented (the README's
 * finding table). Checks make findings with `id: DOCTOR_FINDINGS.x.id`, so an id outside this table does not
 * compile, and test/unit/doctor-finding-ids.test.ts holds the table and the README to each other.
 */
import type { Finding, FindingInfo } from '../findings.js';
import { LAYER_DEPTH_FINDING } from '../image/layer-depth-finding.js';

const DOC = 'README.md#finding-ids';
const UNUSABLE = { severities: ['error'], doc: DOC } as const;

export const DOCTOR_FINDINGS = {
  engineNotRunning: { id: 'engine/not-running', ...UNUSABLE, meaning: 'the engine cannot be used: the daemon is not running' },
  engineSocketMissing: { id: 'engine/socket-missing', ...UNUSABLE, meaning: 'the engine cannot be used: no socket at the endpoint' },
  enginePermissionDenied: { id: 'engine/permission-denied', ...UNUSABLE, meaning: 'the engine cannot be used: the socket is not ours to open' },
  engineTimeout: { id: 'engine/timeout', ...UNUSABLE, meaning: 'the engine cannot be used: it did not answer in time' },
  engineApiVersion: { id: 'engine/api-version', ...UNUSABLE, meaning: 'the engine cannot be used: its API version is too old' },
  engineUnreachable: { id: 'engine/unreachable', ...UNUSABLE, meaning: 'the engine cannot be used: a bad endpoint or another failure' },
  engineNameNotResolved: { id: 'engine/name-not-resolved', ...UNUSABLE, meaning: 'the host name in DOCKER_HOST / --host does not resolve' },
  engineConnectionRefused: { id: 'engine/connection-refused', ...UNUSABLE, meaning: 'nothing listens on the TCP port, or no sshd on the ssh port' },
  engineHostUnreachable: { id: 'engine/host-unreachable', ...UNUSABLE, meaning: 'no TCP connection to the host: down, no route, or a firewall drops the port' },
  engineNotDocker: { id: 'engine/not-docker', ...UNUSABLE, meaning: 'another server answers at the address, or TLS and plain HTTP are mixed up' },
  engineNotSsh: { id: 'engine/not-ssh', ...UNUSABLE, meaning: 'the port of an ssh:// endpoint does not speak ssh' },
  engineSshAuthFailed: { id: 'engine/ssh-auth-failed', ...UNUSABLE, meaning: 'the ssh server refused the keys offered' },
  engineSshRemoteFailed: { id: 'engine/ssh-remote-failed', ...UNUSABLE, meaning: 'ssh works, but the remote `docker system dial-stdio` failed' },
  engineDaemonConfigInvalid: { id: 'engine/daemon-config-invalid', ...UNUSABLE, meaning: '/etc/docker/daemon.json does not parse; dockerd will not start' },
  engineDeprecatedDriver: { id: 'engine/deprecated-driver', severities: ['warn'], doc: DOC, meaning: 'aufs, overlay or devicemapper' },
  engineDevicemapperLoop: { id: 'engine/devicemapper-loop', severities: ['error'], doc: DOC, meaning: 'devicemapper on loop files (loop-lvm)' },
  engineVfsDriver: { id: 'engine/vfs-driver', severities: ['warn', 'error'], doc: DOC,
    meaning: 'vfs copies every layer in full; error when dockerd fell back to vfs for want of d_type' },
  engineUnusableFilesystem: { id: 'engine/unusable-filesystem', severities: ['error'], doc: DOC,
    meaning: 'data-root is on a filesystem overlay2 cannot use (FUSE, NFS, CIFS, vboxsf, 9p)' },
  engineNoDtype: { id: 'engine/no-dtype', severities: ['error'], doc: DOC, meaning: 'the backing filesystem has no d_type' },
  engineNoNativeDiff: { id: 'engine/no-native-diff', severities: ['info'], doc: DOC, meaning: 'overlay2 falls back to naive diffs' },
  engineContainerdStore: { id: 'engine/containerd-store', severities: ['info'], doc: DOC, meaning: "images live in containerd's store" },
  diskBurstCredits: { id: 'disk/burst-credits', severities: ['warn'], doc: DOC, meaning: 'data-root on a burstable cloud volume' },
  diskEphemeral: { id: 'disk/ephemeral', severities: ['info'], doc: DOC, meaning: 'data-root on an instance-store / local SSD wiped on stop' },
  diskSizeScaledIops: { id: 'disk/size-scaled-iops', severities: ['info'], doc: DOC, meaning: 'GCP persistent disk, performance grows with size' },
  diskLoopDevice: { id: 'disk/loop-device', severities: ['warn'], doc: DOC, meaning: 'data-root on a loop device' },
  diskRotational: { id: 'disk/rotational', severities: ['info', 'warn'], doc: DOC, meaning: 'a spinning disk (info for virtio/Xen disks)' },
  diskExt4NoJournal: { id: 'disk/ext4-no-journal', severities: ['warn'], doc: DOC, meaning: "data-root's ext3/ext4 runs without a journal" },
  diskLowSpace: { id: 'disk/low-space', severities: ['warn', 'error'], doc: DOC, meaning: 'under 15% or 5 GB free (error under 5% or 1 GB)' },
  diskLowInodes: { id: 'disk/low-inodes', severities: ['warn', 'error'], doc: DOC, meaning: 'under 10% of inodes free (error under 3%)' },
  diskSharedRootFs: { id: 'disk/shared-root-fs', severities: ['info'], doc: DOC, meaning: "data-root shares /'s filesystem" },
  ioSlowSyncWrite: { id: 'io/slow-sync-write', severities: ['warn', 'error'], doc: DOC, meaning: 'the sync-write probe was slow or did not finish' },
  ioProbeFailed: { id: 'io/probe-failed', severities: ['warn'], doc: DOC, meaning: 'the probe could not write in data-root' },
  ioHighIowait: { id: 'io/high-iowait', severities: ['warn'], doc: DOC, meaning: 'iowait >= 20% over the window, with the busy devices' },
  ioStuckTasks: { id: 'io/stuck-tasks', severities: ['warn'], doc: DOC, meaning: 'tasks in D state through the window' },
  ioDeviceSaturated: { id: 'io/device-saturated', severities: ['warn'], doc: DOC, meaning: 'utilisation >= 90% with await >= 50 ms' },
  spaceReclaimable: { id: 'space/reclaimable', severities: ['info', 'warn'], doc: DOC, meaning: 'what `docker system df` calls reclaimable' },
  spaceDanglingImages: { id: 'space/dangling-images', severities: ['warn'], doc: DOC, meaning: 'untagged images and their own bytes' },
  spaceBuildCache: { id: 'space/build-cache', severities: ['info', 'warn'], doc: DOC, meaning: 'build cache size' },
  spaceContainerLogs: { id: 'space/container-logs', severities: ['info', 'warn'], doc: DOC, meaning: 'container logs with no size limit' },
  spaceOrphanedLayers: { id: 'space/orphaned-layers', severities: ['warn'], doc: DOC, meaning: 'overlay2 directories nothing references' },
  clutterExitedContainers: { id: 'clutter/exited-containers', severities: ['info', 'warn'], doc: DOC, meaning: 'stopped containers and their writable layers' },
  clutterUnusedVolumes: { id: 'clutter/unused-volumes', severities: ['info'], doc: DOC, meaning: 'volumes no container uses' },
  clutterOldBuildCache: { id: 'clutter/old-build-cache', severities: ['info'], doc: DOC, meaning: 'cache records unused for 30 days' },
  imageLayerDepth: LAYER_DEPTH_FINDING,
} as const satisfies Record<string, FindingInfo>;

export type DoctorFindingId = (typeof DOCTOR_FINDINGS)[keyof typeof DOCTOR_FINDINGS]['id'];

export interface DoctorFinding extends Finding {
  id: DoctorFindingId;
}
