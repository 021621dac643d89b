/** `stowage provision plan|apply`: flags in, ProvisionReport out, rendered as text or JSON (issue 16). */
import { ExitCode, UsageError } from '../errors.js';
import { applyProvision, planProvision, type ProvisionOptions } from '../provision/provision.js';
import { rollbackProvision } from '../provision/rollback.js';
import { renderJson } from '../render/json-document.js';
import { renderProvisionText, renderRollbackText } from '../render/provision-text.js';
import { parseChoiceFlag, parseSizeFlag } from './option-parsers.js';
import type { RegisterCommand } from './main.js';

interface ProvisionFlags {
  /** Each --device given; several are striped as one RAID0. */
  device: string[];
  fs: string;
  driver: string;
  split?: string;
  ephemeral?: boolean;
  reseed?: string;
  keepImages?: boolean;
  force?: string;
  mountPoint?: string;
  dataRoot?: string;
  daemonJson?: string;
  persist: string;
  unitDir?: string;
  fstab?: string;
  engineRestart: string;
  minSize: string;
  journal?: string;
  yes?: boolean;
}

function parseSplit(text: string): { sizeBytes: number; mountPoint: string } {
  const colon = text.indexOf(':');
  if (colon <= 0 || !text.slice(colon + 1).startsWith('/')) throw new UsageError(`--split takes SIZE:MOUNTPOINT such as 50G:/data, not "${text}"`);
  return { sizeBytes: parseSizeFlag(text.slice(0, colon), '--split'), mountPoint: text.slice(colon + 1) };
}

function toOptions(flags: ProvisionFlags): ProvisionOptions {
  const persist = parseChoiceFlag(flags.persist, '--persist', ['auto', 'unit', 'fstab'] as const);
  const engine = parseChoiceFlag(flags.engineRestart, '--engine-restart', ['auto', 'systemd', 'none'] as const);
  return {
    device: flags.device[0]!,
    ...(flags.device.length > 1 ? { devices: flags.device } : {}),
    fs: parseChoiceFlag(flags.fs, '--fs', ['xfs', 'ext4'] as const),
    ...(flags.driver === 'overlay2' ? {} : { driver: parseChoiceFlag(flags.driver, '--driver', ['overlay2', 'devicemapper'] as const) }),
    minSizeBytes: parseSizeFlag(flags.minSize, '--min-size'),
    ...(flags.split ? { split: parseSplit(flags.split) } : {}),
    ...(flags.ephemeral ? { ephemeral: true } : {}),
    ...(flags.reseed ? { reseed: flags.reseed } : {}),
    ...(flags.keepImages ? { keepImages: true } : {}),
    ...(flags.force ? { force: flags.force } : {}),
    ...(flags.mountPoint ? { mountPoint: flags.mountPoint } : {}),
    ...(flags.dataRoot ? { dataRoot: flags.dataRoot } : {}),
    ...(flags.daemonJson ? { daemonJson: flags.daemonJson } : {}),
    ...(persist === 'auto' ? {} : { persist }),
    ...(flags.unitDir ? { unitDir: flags.unitDir } : {}),
    ...(flags.fstab ? { fstab: flags.fstab } : {}),
    ...(engine === 'auto' ? {} : { engine }),
    ...(flags.journal ? { journal: flags.journal } : {}),
  };
}

const EXIT_CODES = `
Exit codes: 0 planned (nothing refused) or applied, 2 usage error, 4 no such block device, 5 refused
(the device is in use, protected, or holds data, or several devices need md RAID0 and the kernel has no md
driver or mdadm is missing: nothing written), 6 a step failed (the journal keeps
what was done: run apply again to resume), 130 interrupted (resumable), 70 internal error.`;

export const registerProvision: RegisterCommand = (program, ctx, setExit) => {
  const provision = program.command('provision')
    .description('put Docker\'s data-root on a dedicated or ephemeral disk, safely: plan first, apply with --yes');
  const common = (name: string, description: string) => provision.command(name)
    .description(description)
    .requiredOption('--device <dev>', 'the disk to give Docker: /dev/NAME, a /dev/disk link, or auto (the cloud\'s ephemeral disks); several are striped as one md RAID0',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--fs <type>', 'filesystem: xfs (ftype=1, pquota) or ext4 (journal, filetype)', 'xfs')
    .option('--driver <name>', 'overlay2, or devicemapper: the legacy LVM thin pool, planned only (engines older than 25; apply refuses it)', 'overlay2')
    .option('--split <size:mountpoint>', 'SIZE for Docker, the rest of the disk mounted on MOUNTPOINT (50G:/data)')
    .option('--ephemeral', 'install a boot unit that re-makes the filesystem when the disk comes back blank')
    .option('--reseed <dir>', 'with --ephemeral: a boot unit imports this stowage migrate store after docker.service starts')
    .option('--keep-images', 'move the current data-root onto the new disk: a file copy (images, containers, volumes), or when its storage driver is not overlay2 its images and named volumes through a stowage migrate store')
    .option('--force <dev>', 'wipe the existing signatures of this exact device (never a mounted or in-use one)')
    .option('--mount-point <dir>', 'where the new filesystem is mounted and becomes the data-root', '/var/lib/docker-disk')
    .option('--data-root <dir>', 'the current data-root (default: the engine\'s, else daemon.json\'s)')
    .option('--daemon-json <path>', 'the daemon config to change', '/etc/docker/daemon.json')
    .option('--persist <how>', 'mount at boot by: auto (unit when systemd runs), unit, fstab', 'auto')
    .option('--unit-dir <dir>', 'where systemd units are written', '/etc/systemd/system')
    .option('--fstab <path>', 'the fstab to add a line to', '/etc/fstab')
    .option('--engine-restart <how>', 'stop and start the engine around the switch: auto (systemd when it runs), systemd, none', 'auto')
    .option('--min-size <size>', 'refuse a device smaller than this', '1GiB')
    .option('--journal <path>', 'apply\'s journal (default beside daemon.json)');
  common('plan', 'show every step provisioning would take, and what refuses it; changes nothing')
    .addHelpText('after', `${EXIT_CODES}

Examples:
  stowage provision plan --device /dev/disk/azure/resource --split 50G:/data --ephemeral
  stowage provision plan --device auto --ephemeral
  stowage provision plan --device /dev/nvme1n1 --device /dev/nvme2n1 --ephemeral
  stowage provision plan --device /dev/sdc --driver devicemapper
  stowage provision plan --device auto --ephemeral --reseed /srv/stowage-store
  stowage provision plan --device /dev/sdb --fs ext4 --keep-images --json`)
    .action(async (flags: ProvisionFlags) => {
      const c = ctx();
      const context = c.capabilityContext('provision');
      const report = await planProvision(toOptions(flags), context).finally(() => context.progress.end());
      c.out(c.json ? renderJson('provision', report).trimEnd() : renderProvisionText(report, c.style));
      setExit(report.plan.refusals.length ? ExitCode.refused : ExitCode.ok);
    });
  common('apply', 'apply the plan step by step (journaled, resumable); needs --yes')
    .option('--yes', 'really write to the device')
    .addHelpText('after', `${EXIT_CODES}

Examples:
  stowage provision apply --device /dev/sdb --keep-images --yes`)
    .action(async (flags: ProvisionFlags) => {
      const c = ctx();
      if (!flags.yes) throw new UsageError('provision apply formats a disk: add --yes', 'Read `stowage provision plan` with the same flags first.');
      const context = c.capabilityContext('provision', { interruptible: true });
      const report = await applyProvision(toOptions(flags), context).finally(() => context.progress.end());
      c.out(c.json ? renderJson('provision', report).trimEnd() : renderProvisionText(report, c.style));
      const t = report.applied!;
      setExit(t.aborted ? ExitCode.interrupted : t.totals.failed ? ExitCode.hostFailure : ExitCode.ok);
    });
  provision.command('rollback')
    .description('restore the daemon.json that apply backed up (the old data-root again); with --release also unmount the new disk')
    .option('--daemon-json <path>', 'the daemon config apply changed', '/etc/docker/daemon.json')
    .option('--engine-restart <how>', 'stop and start the engine around it: systemd, none', 'none')
    .option('--release', 'also remove apply\'s boot units or fstab line and unmount the new disk (found by its label stowage-dr)')
    .option('--wipe', 'with --release: also erase stowage\'s filesystem on it (wipefs --all --backup)')
    .option('--mount-point <dir>', 'with --release: where apply mounted the new disk', '/var/lib/docker-disk')
    .option('--unit-dir <dir>', 'with --release: where apply wrote its systemd units', '/etc/systemd/system')
    .option('--fstab <path>', 'with --release: the fstab apply added a line to', '/etc/fstab')
    .option('--yes', 'really restore it (without: show the plan)')
    .addHelpText('after', `
Exit codes: 0 restored (or planned), 2 usage error, 4 no backup to restore (and no --release), 5 refused (the
disk is not stowage's, or the engine still runs on it), 6 a step failed, 70 internal error.

Examples:
  stowage provision rollback --yes
  stowage provision rollback --engine-restart systemd --release --wipe --yes`)
    .action(async (flags: { daemonJson: string; engineRestart: string; release?: boolean; wipe?: boolean; mountPoint: string; unitDir: string; fstab: string; yes?: boolean }) => {
      const c = ctx();
      const how = parseChoiceFlag(flags.engineRestart, '--engine-restart', ['systemd', 'none'] as const);
      if (flags.wipe && !flags.release) throw new UsageError('--wipe needs --release (the disk is unmounted before it is erased)');
      const context = c.capabilityContext('provision');
      const engine = how === 'systemd' ? (await import('../provision/provision.js')).systemdEngineControl() : undefined;
      const report = await rollbackProvision({
        daemonJson: flags.daemonJson, ...(engine ? { engine } : {}), dryRun: !flags.yes,
        ...(flags.release ? { release: { mountPoint: flags.mountPoint, unitDir: flags.unitDir, fstab: flags.fstab, wipe: Boolean(flags.wipe) } } : {}),
      }, context).finally(() => context.progress.end());
      c.out(c.json ? renderJson('provision-rollback', report).trimEnd() : renderRollbackText(report, c.style));
      setExit(report.applied?.totals.failed ? ExitCode.hostFailure : ExitCode.ok);
    });
};
