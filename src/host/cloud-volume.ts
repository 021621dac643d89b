/**
 * Recognises cloud volumes from what the device says about itself (model, vendor, serial). Patterns are
 * the ones the providers document for their virtual disks.
 */
import type { DiskAttributes } from './block-device.js';

export type CloudVolume =
  | { provider: 'aws'; kind: 'ebs'; volumeId: string | undefined }
  | { provider: 'aws'; kind: 'instance-store' }
  | { provider: 'azure'; kind: 'managed-disk' | 'local-nvme' }
  | { provider: 'gcp'; kind: 'persistent-disk' | 'local-ssd' };

export function identifyCloudVolume(disk: DiskAttributes): CloudVolume | undefined {
  const model = disk.model ?? '';
  const vendor = disk.vendor ?? '';
  if (model === 'Amazon Elastic Block Store') {
    const m = /^vol-?([0-9a-f]+)$/.exec(disk.serial ?? '');
    return { provider: 'aws', kind: 'ebs', volumeId: m ? `vol-${m[1]}` : undefined };
  }
  if (model === 'Amazon EC2 NVMe Instance Storage') return { provider: 'aws', kind: 'instance-store' };
  if (vendor === 'Msft' && model === 'Virtual Disk') return { provider: 'azure', kind: 'managed-disk' };
  if (model.startsWith('MSFT NVMe Accelerator')) return { provider: 'azure', kind: 'managed-disk' };
  if (model.startsWith('Microsoft NVMe Direct Disk')) return { provider: 'azure', kind: 'local-nvme' };
  if (vendor === 'Google' && model === 'PersistentDisk') return { provider: 'gcp', kind: 'persistent-disk' };
  if (vendor === 'Google' && model === 'EphemeralDisk') return { provider: 'gcp', kind: 'local-ssd' };
  if (model === 'nvme_card-pd') return { provider: 'gcp', kind: 'persistent-disk' };
  if (model === 'nvme_card') return { provider: 'gcp', kind: 'local-ssd' };
  return undefined;
}

export function describeCloudVolume(v: CloudVolume): string {
  switch (v.provider) {
    case 'aws':
      return v.kind === 'ebs' ? `AWS EBS volume${v.volumeId ? ` ${v.volumeId}` : ''}` : 'AWS instance-store NVMe (ephemeral)';
    case 'azure':
      return v.kind === 'managed-disk' ? 'Azure managed disk' : 'Azure local NVMe (ephemeral)';
    case 'gcp':
      return v.kind === 'persistent-disk' ? 'GCP persistent disk' : 'GCP local SSD (ephemeral)';
  }
}
