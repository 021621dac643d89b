/**
 * What makes a provisioned disk come back at boot: a systemd mount unit (or an fstab line) naming the
 * filesystem by UUID, and for an ephemeral disk a oneshot unit that re-makes the filesystem when the disk
 * comes back blank, ordered before the mount, docker.service and containerd.service.
 */
import { mkfsCommand, mountOptions, type ProvisionFs } from '../host/provision-tools.js';

/** `systemd-escape --path`: the name systemd gives the mount unit of `path`. */
export function escapeUnitPath(path: string): string {
  const trimmed = path.replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
  if (!trimmed) return '-';
  // as systemd's unit_name_path_escape: '/' becomes '-', a leading '.' and anything outside [A-Za-z0-9:_.] become \\xNN
  return [...Buffer.from(trimmed, 'utf8')].map((b, i) => {
    const c = String.fromCharCode(b);
    if (c === '/') return '-';
    return (/[A-Za-z0-9:_.]/.test(c) && !(i === 0 && c === '.')) ? c : `\\x${b.toString(16).padStart(2, '0')}`;
  }).join('');
}

export function mountUnitName(where: string): string {
  return `${escapeUnitPath(where)}.mount`;
}

export interface MountSpec {
  fs: ProvisionFs;
  uuid: string;
  where: string;
  /** XFS project quota (`pquota`); false where the kernel has no XFS quota. */
  quota: boolean;
}

export function mountUnitText(m: MountSpec, ephemeralUnit?: string): string {
  const after = ephemeralUnit ? `Requires=${ephemeralUnit}\nAfter=${ephemeralUnit}\n` : '';
  return `# Written by stowage provision: Docker's data on a dedicated disk.
[Unit]
Description=Docker data-root on a dedicated disk (stowage provision)
${after}Before=docker.service containerd.service

[Mount]
What=/dev/disk/by-uuid/${m.uuid}
Where=${m.where}
Type=${m.fs}
Options=${mountOptions(m.fs, m.quota)}

[Install]
WantedBy=local-fs.target
RequiredBy=docker.service containerd.service
`;
}

export function fstabLine(m: MountSpec): string {
  return `UUID=${m.uuid} ${m.where} ${m.fs} ${mountOptions(m.fs, m.quota)},nofail 0 2`;
}

export function ephemeralUnitName(where: string): string {
  return `stowage-mkfs-${escapeUnitPath(where)}.service`;
}

/**
 * A oneshot unit that runs before the mounts it makes possible and before the engine: ordered after the
 * devices it needs, without the default dependencies (it runs in early boot), required by those mounts.
 */
export function earlyBootUnitText(u: { comment: string; description: string; devices: readonly string[]; mounts: readonly string[]; shell: string }): string {
  const devices = u.devices.map((d) => `${escapeUnitPath(d)}.device`).join(' ');
  const mounts = u.mounts.map(mountUnitName).join(' ');
  return `# Written by stowage provision: ${u.comment}
[Unit]
Description=${u.description} (stowage provision)
DefaultDependencies=no
Requires=${devices}
After=${devices}
Before=${mounts} docker.service containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '${u.shell}'

[Install]
WantedBy=local-fs.target
RequiredBy=${mounts}
`;
}

/**
 * The boot unit of an ephemeral disk: `blkid -p` finds no signature on a disk the cloud wiped, so mkfs runs
 * with the same label and UUID and the mount unit finds it again; a disk that kept its filesystem is left alone.
 */
export function ephemeralUnitText(device: string, m: MountSpec, label: string): string {
  const mkfs = mkfsCommand({ fs: m.fs, device, label, uuid: m.uuid });
  const tool = m.fs === 'xfs' ? '/usr/sbin/mkfs.xfs' : '/usr/sbin/mkfs.ext4';
  return earlyBootUnitText({
    comment: 're-makes Docker\'s filesystem when the ephemeral disk comes back blank.',
    description: 'Make Docker\'s filesystem on the ephemeral disk when it is blank',
    devices: [device], mounts: [m.where],
    shell: `/usr/sbin/blkid -p ${device} >/dev/null 2>&1 || ${tool} ${mkfs.args.join(' ')}`,
  });
}

/**
 * The boot unit of a split ephemeral disk: when `blkid -p` finds nothing on the disk (no partition table: the
 * cloud wiped it), it writes the same GPT (sfdisk, partitions named stowage-docker and stowage-data), and makes
 * both filesystems with their labels and UUIDs, so both mount units find them again. The disk's kernel node
 * and its partitions' names (sdb1, nvme1n1p1) are worked out at boot from the stable name.
 */
export function ephemeralSplitUnitText(device: string, docker: MountSpec, data: MountSpec, firstBytes: number, labels: { docker: string; data: string }, names: readonly [string, string]): string {
  const tool = docker.fs === 'xfs' ? '/usr/sbin/mkfs.xfs' : '/usr/sbin/mkfs.ext4';
  // $$ is systemd's escape of a literal $; the sfdisk script is the one apply feeds it (partitionCommand)
  const mkfsArgs = (m: MountSpec, label: string, n: number) => mkfsCommand({ fs: m.fs, device: `$\${p}${n}`, label, uuid: m.uuid }).args.join(' ');
  const mib = Math.floor(firstBytes / (1024 * 1024));
  const table = `label: gpt\\nsize=${mib}MiB, type=linux, name=${names[0]}\\ntype=linux, name=${names[1]}\\n`;
  const script = [
    `d=$$(/usr/bin/readlink -f ${device})`,
    '/usr/sbin/blkid -p $$d >/dev/null 2>&1 && exit 0',
    'case $$d in *[0-9]) p=$${d}p;; *) p=$$d;; esac',
    `printf "${table}" | /usr/sbin/sfdisk --quiet --wipe never $$d`,
    '/usr/bin/partx --update $$d',
    `${tool} ${mkfsArgs(docker, labels.docker, 1)}`,
    `${tool} ${mkfsArgs(data, labels.data, 2)}`,
  ];
  return earlyBootUnitText({
    comment: 're-partitions the ephemeral disk and re-makes both filesystems when it comes back blank.',
    description: `Partition the ephemeral disk and make Docker's and ${data.where}'s filesystems when it is blank`,
    devices: [device], mounts: [docker.where, data.where],
    shell: `${script[0]}; ${script[1]}; ${script[2]}; ${script.slice(3).join(' && ')}`,
  });
}

export function reseedUnitName(where: string): string {
  return `stowage-reseed-${escapeUnitPath(where)}.service`;
}

/**
 * The re-seed unit of an ephemeral data-root: once docker.service has started on the re-made (empty) disk, it
 * loads the images and volumes of a `stowage migrate` store kept on persistent disk (`stowage migrate import
 * DIR`; what is there already is skipped, so a disk that kept its data costs a quick check), so a reboot does
 * not mean a cold host. `stowage` is the absolute path of the CLI; the store must exist (ConditionPathIsDirectory).
 */
export function reseedUnitText(stowage: string, store: string, bootUnit: string): string {
  return `# Written by stowage provision: re-seeds Docker's ephemeral data-root from a stowage migrate store.
[Unit]
Description=Re-seed Docker's images from ${store} (stowage provision)
Requires=docker.service
After=docker.service ${bootUnit}
ConditionPathIsDirectory=${store}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${stowage} migrate import ${store}

[Install]
WantedBy=multi-user.target
`;
}
