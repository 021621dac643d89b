/**
 * md RAID0 over several disks (issue 16), as the EKS node image stripes its instance stores: `mdadm --create`
 * with level 0 and a 512 KiB chunk, the array's line (`mdadm --detail --scan`) kept in a config file of its own
 * rather than /etc/mdadm/mdadm.conf, so no initramfs tries to assemble an array whose disks may come back
 * blank; XFS's log stripe unit set to 32 KiB (`-l su=8b`), as the array's 512 KiB is above XFS's log maximum.
 * Whether the host can do it at all: the kernel's md driver (/proc/mdstat) and the mdadm tool.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { HostFs } from './host-fs.js';
import type { ToolInvocation } from './tool-runner.js';

/** The array's name: mdadm makes /dev/md/NAME. */
export const MD_NAME = 'stowage-docker';
export const MD_DEVICE = `/dev/md/${MD_NAME}`;
/** Where the array's line is kept (not the initramfs's mdadm.conf). */
export const MDADM_CONF = '/etc/stowage/mdadm.conf';
/** mdadm's default chunk, named so the plan says it; the EKS node image keeps the default. */
export const RAID_CHUNK_KIB = 512;

/** `mdadm --create` of a RAID0 over `members` (stable names), named so that `/dev/md/NAME` does not move. */
export function raidCreateCommand(members: readonly string[], chunkKiB = RAID_CHUNK_KIB): ToolInvocation {
  return {
    tool: 'mdadm',
    args: ['--create', MD_DEVICE, '--run', '--level=0', `--chunk=${chunkKiB}`, `--name=${MD_NAME}`, '--homehost=any', `--raid-devices=${members.length}`, ...members],
  };
}

/** The array's ARRAY line, appended to MDADM_CONF by apply. */
export function raidScanCommand(): ToolInvocation {
  return { tool: 'mdadm', args: ['--detail', '--scan', MD_DEVICE] };
}

/** Assembles the array again at boot from its config (when the disks kept their superblocks). */
export function raidAssembleCommand(conf = MDADM_CONF): ToolInvocation {
  return { tool: 'mdadm', args: ['--assemble', MD_DEVICE, `--config=${conf}`] };
}

/** Stops the array (rollback, release). */
export function raidStopCommand(): ToolInvocation {
  return { tool: 'mdadm', args: ['--stop', MD_DEVICE] };
}

/**
 * Why this host cannot build an md array: no md driver in the kernel (no /proc/mdstat: `modprobe raid0`
 * loads it where the kernel has it as a module), no RAID0 personality once loaded, or no mdadm on PATH.
 * Empty when it can.
 */
export function mdMissing(fs: HostFs, mdadmFound: boolean): string[] {
  const missing: string[] = [];
  const mdstat = fs.readText('/proc/mdstat');
  if (mdstat === undefined) missing.push('the kernel has no md driver (no /proc/mdstat; `modprobe raid0` loads it where it is a module)');
  else if (!/^Personalities\s*:.*\[raid0\]/m.test(mdstat)) missing.push(`the md driver has no raid0 personality (/proc/mdstat: ${mdstat.split('\n')[0]!.trim()}; \`modprobe raid0\`)`);
  if (!mdadmFound) missing.push('mdadm is not installed (apt-get install mdadm, dnf install mdadm)');
  return missing;
}

/** Whether mdadm is on PATH, found without starting a process. */
export function hasMdadm(path = process.env.PATH ?? ''): boolean {
  return path.split(':').some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, 'mdadm'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
