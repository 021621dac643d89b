/** The disk under data-root: what it is, how it bursts, how full it is. */
import type { Finding, Evidence } from '../findings.js';
import { describeChain, type DeviceNode } from '../host/block-device.js';
import { gp2Model, GP2_NO_BURST_GIB } from '../measure/burst-model.js';
import { describeCloudVolume, identifyCloudVolume } from '../host/cloud-volume.js';
import type { DiskFacts, DoctorFacts } from './facts.js';
import { DOCTOR_FINDINGS, type DoctorFinding } from './finding-ids.js';

const GB = 1e9;

export function diskChecks(facts: DoctorFacts): DoctorFinding[] {
  const disk = facts.disk;
  if (!disk) return [];
  const chain = disk.device ? describeChain(disk.device) : 'unresolved';
  const base: Evidence[] = [
    { label: 'data-root', value: facts.dataRoot },
    { label: 'device chain', value: chain },
  ];
  const subject = { kind: 'device' as const, id: disk.device?.name ?? disk.mount?.source ?? facts.dataRoot };
  return [
    ...burstFindings(disk, base),
    ...loopFindings(disk.device, base, subject),
    ...rotationalFindings(disk, base, subject),
    ...journalFindings(disk, base),
    ...spaceFindings(disk, base, facts.dataRoot),
    ...(disk.sharesRootFs ? [{
      id: DOCTOR_FINDINGS.diskSharedRootFs.id, severity: 'info' as const,
      title: 'data-root shares the root filesystem: when Docker fills it, the host itself runs out of space',
      evidence: base,
      fix: { summary: 'Give Docker its own disk or partition and point `data-root` in /etc/docker/daemon.json at it.' },
      subject,
    }] : []),
  ];
}

function burstFindings(disk: DiskFacts, base: Evidence[]): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const d of disk.disks) {
    const volume = identifyCloudVolume(d);
    if (!volume) continue;
    const subject = { kind: 'device' as const, id: d.name };
    const evidence: Evidence[] = [...base, { label: 'volume', value: describeCloudVolume(volume) },
      { label: 'model', value: d.model ?? '' }, { label: 'size', value: d.sizeBytes ?? 0, unit: 'bytes' }];
    if (volume.provider === 'aws' && volume.kind === 'ebs' && d.sizeBytes) {
      const m = gp2Model(d.sizeBytes);
      if (m.sizeGiB >= GP2_NO_BURST_GIB) continue;
      const id = volume.volumeId ?? 'VOLUME_ID';
      findings.push({
        id: DOCTOR_FINDINGS.diskBurstCredits.id, severity: 'warn',
        title: `data-root is on an EBS volume: if it is gp2, it falls to ${m.baselineIops} IOPS once ${Math.round(m.fullBurstSeconds / 60)} min of burst are spent`,
        evidence: [...evidence,
          { label: 'gp2 baseline', value: m.baselineIops, unit: 'IOPS' },
          { label: 'burst rate', value: m.burstIops, unit: 'IOPS' },
          { label: 'credit bucket', value: m.bucketCredits, unit: 'I/O credits' },
          { label: 'full bucket lasts at burst rate', value: m.fullBurstSeconds, unit: 's' }],
        fix: {
          summary: `Check the type; a gp2 volume is better as gp3 (3,000 IOPS baseline, no credits), or grown to ${GP2_NO_BURST_GIB} GiB. Watch BurstBalance in CloudWatch meanwhile.`,
          commands: [
            `aws ec2 describe-volumes --volume-ids ${id} --query 'Volumes[0].[VolumeType,Size,Iops]'`,
            `aws ec2 modify-volume --volume-id ${id} --volume-type gp3`,
          ],
        },
        subject,
      });
    } else if (volume.kind === 'instance-store' || volume.kind === 'local-ssd' || volume.kind === 'local-nvme') {
      findings.push({
        id: DOCTOR_FINDINGS.diskEphemeral.id, severity: 'info',
        title: 'data-root is on an ephemeral local disk: fast, but wiped when the instance stops',
        evidence,
        fix: { summary: 'Re-create the filesystem and data-root at every boot (a systemd unit before docker.service), and keep nothing there that cannot be pulled again.' },
        subject,
      });
    } else if (volume.provider === 'azure' && d.sizeBytes && d.sizeBytes <= 512 * 1024 ** 3) {
      findings.push({
        id: DOCTOR_FINDINGS.diskBurstCredits.id, severity: 'warn',
        title: 'data-root is on an Azure managed disk of 512 GiB or less: Premium SSDs of this size burst on credits (up to 3,500 IOPS for 30 min) and fall back to their tier\'s baseline',
        evidence,
        fix: { summary: 'Check the disk tier; choose a size or tier whose baseline covers the load, or enable on-demand bursting.', commands: ['az disk show --ids DISK_ID --query "{sku:sku.name,size:diskSizeGb,iops:diskIopsReadWrite}"'] },
        subject,
      });
    } else if (volume.provider === 'gcp' && volume.kind === 'persistent-disk') {
      findings.push({
        id: DOCTOR_FINDINGS.diskSizeScaledIops.id, severity: 'info',
        title: 'data-root is on a GCP persistent disk, whose IOPS and throughput grow with its size',
        evidence,
        fix: { summary: 'If starts or builds are slow, grow the disk or move data-root to a pd-ssd or local SSD.' },
        subject,
      });
    }
  }
  return findings;
}

function findLoop(node: DeviceNode | undefined): DeviceNode | undefined {
  if (!node) return undefined;
  if (node.kind === 'loop') return node;
  for (const p of node.parents) {
    const found = findLoop(p);
    if (found) return found;
  }
  return undefined;
}

function loopFindings(device: DeviceNode | undefined, base: Evidence[], subject: Finding['subject']): DoctorFinding[] {
  const loop = findLoop(device);
  if (!loop) return [];
  return [{
    id: DOCTOR_FINDINGS.diskLoopDevice.id, severity: 'warn',
    title: `data-root is on a loop device backed by a file (${loop.detail ?? 'unknown'}): every write passes through two filesystems`,
    evidence: [...base, { label: 'loop device', value: loop.name }, { label: 'backing file', value: loop.detail ?? 'unknown' }],
    fix: { summary: 'Put data-root on a real block device or partition (and stop double caching through the file).' },
    subject,
  }];
}

function rotationalFindings(disk: DiskFacts, base: Evidence[], subject: Finding['subject']): DoctorFinding[] {
  const spinning = disk.disks.filter((d) => d.rotational);
  if (spinning.length === 0) return [];
  // virtio and Xen disks report rotational=1 by default whatever the medium behind them
  const virtual = spinning.every((d) => /^(vd|xvd)/.test(d.name));
  return [{
    id: DOCTOR_FINDINGS.diskRotational.id, severity: virtual ? 'info' : 'warn',
    title: virtual
      ? `${spinning.map((d) => d.name).join(', ')} reports itself as a spinning disk (virtual disks often do): if it really is one, starts and builds are seek-bound`
      : `data-root is on a spinning disk (${spinning.map((d) => d.name).join(', ')}): container starts and builds are seek-bound`,
    evidence: [...base, ...spinning.map((d) => ({ label: `${d.name} scheduler`, value: d.scheduler ?? 'unknown' }))],
    fix: rotationalFix(spinning),
    subject,
  }];
}

/** Schedulers that order requests for a seeking disk; advising one where it already runs changes nothing. */
const SEEK_AWARE = new Set(['mq-deadline', 'bfq', 'deadline', 'cfq']);

function rotationalFix(spinning: DiskFacts['disks']): NonNullable<Finding['fix']> {
  const change = spinning.filter((d) => d.scheduler !== undefined && !SEEK_AWARE.has(d.scheduler));
  if (change.length === 0) return { summary: 'Move data-root to an SSD.' };
  return {
    summary: `Move data-root to an SSD; meanwhile ${change.map((d) => `${d.name} uses ${d.scheduler}`).join(', ')}: on a spinning disk mq-deadline (or bfq) orders requests to cut seeks.`,
    commands: change.map((d) => `echo mq-deadline > /sys/block/${d.name}/queue/scheduler`),
  };
}

function spaceFindings(disk: DiskFacts, base: Evidence[], dataRoot: string): DoctorFinding[] {
  const space = disk.space;
  if (!space || space.totalBytes === 0) return [];
  const subject = { kind: 'filesystem' as const, id: disk.mount?.mountPoint ?? dataRoot };
  const findings: DoctorFinding[] = [];
  const freeShare = (space.availableBytes / space.totalBytes) * 100;
  const fix = {
    summary: 'Reclaim what nothing uses, then give data-root a bigger disk if it is still tight.',
    commands: ['docker image prune', 'docker builder prune --filter until=168h', 'docker container prune'],
  };
  if (freeShare < 15 || space.availableBytes < 5 * GB) {
    findings.push({
      id: DOCTOR_FINDINGS.diskLowSpace.id, severity: freeShare < 5 || space.availableBytes < 1 * GB ? 'error' : 'warn',
      title: `Only ${freeShare.toFixed(1)}% of the filesystem under data-root is free`,
      evidence: [...base, { label: 'available', value: space.availableBytes, unit: 'bytes' },
        { label: 'size', value: space.totalBytes, unit: 'bytes' }, { label: 'free share', value: freeShare, unit: '%' }],
      fix, subject,
    });
  }
  if (space.totalInodes > 0) {
    const inodeShare = (space.freeInodes / space.totalInodes) * 100;
    if (inodeShare < 10) {
      findings.push({
        id: DOCTOR_FINDINGS.diskLowInodes.id, severity: inodeShare < 3 ? 'error' : 'warn',
        title: `Only ${inodeShare.toFixed(1)}% of inodes are free under data-root: writes fail with "no space left" while bytes remain`,
        evidence: [...base, { label: 'free inodes', value: space.freeInodes }, { label: 'inodes', value: space.totalInodes }],
        fix, subject,
      });
    }
  }
  return findings;
}

/**
 * ext4 without a journal: its inode allocator skips inodes freed in the last few minutes (they might still
 * be referenced after a crash, with no journal to say otherwise), so the create/delete churn of image and
 * container layers scans ever further for a free inode (issue 11: 4-5x on `docker import`).
 */
function journalFindings(disk: DiskFacts, base: Evidence[]): DoctorFinding[] {
  const j = disk.journal;
  const mount = disk.mount;
  if (!j || j.journal || !mount) return [];
  const device = mount.source.startsWith('/dev/') ? mount.source : '/dev/DEVICE';
  return [{
    id: DOCTOR_FINDINGS.diskExt4NoJournal.id, severity: 'warn',
    title: `The ${mount.fsType} filesystem under data-root has no journal: it avoids recently freed inodes, so image and container churn gets slower the more it deletes`,
    evidence: [...base, { label: 'filesystem', value: `${mount.fsType} on ${mount.source}` }, ...j.evidence.map((e) => ({ label: 'journal', value: e }))],
    fix: {
      summary: 'Add a journal; tune2fs needs the filesystem unmounted, so stop dockerd first (or re-create the filesystem with mkfs.ext4\'s defaults, which include one).',
      commands: ['systemctl stop docker', `umount ${mount.mountPoint}`, `tune2fs -O has_journal ${device}`, `e2fsck -f ${device}`, `mount ${device} ${mount.mountPoint}`, 'systemctl start docker'],
    },
    subject: { kind: 'filesystem', id: mount.mountPoint },
  }];
}
