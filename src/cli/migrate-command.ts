/** `stowage migrate export|import|verify DIR`: flags in, the export, import or verification result out. */
import { ExitCode, InterruptedError, UsageError } from '../errors.js';
import { connectEngine } from '../engine/dockerode-engine.js';
import { migrateCopy } from '../migrate/migrate-copy.js';
import { migrateExport } from '../migrate/migrate-export.js';
import { migrateImport } from '../migrate/migrate-import.js';
import type { MigrateResult } from '../migrate/migrate-types.js';
import { migrateVerify } from '../migrate/migrate-verify.js';
import { renderJson } from '../render/json-document.js';
import { renderMigrateText } from '../render/migrate-text.js';
import type { CliContext } from './cli-context.js';
import type { RegisterCommand } from './main.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function emit(c: CliContext, result: MigrateResult): void {
  c.out(c.json ? renderJson('migrate', result).trimEnd() : renderMigrateText(result, c.style));
}

export const registerMigrate: RegisterCommand = (program, ctx, setExit) => {
  const migrate = program.command('migrate')
    .enablePositionalOptions()
    .description('move every image and volume to another engine, disk or driver through a content-addressed store, verified and resumable')
    .addHelpText('after', `
Exit codes: 0 done (verify: equal), 2 usage error, 3 engine unreachable, 4 bad input (DIR missing, not a
store, an unfinished export, an unknown volume), 5 refused (not enough free space; a volume of the same name
with other content on the target), 6 an engine operation failed, 7 verification failed (a blob in the store
does not hash to its name: import loads nothing; verify found a difference), 130 interrupted.

Examples:
  stowage migrate export /mnt/new/stowage-store
  stowage migrate import /mnt/new/stowage-store --host unix:///run/docker-new.sock
  stowage migrate verify /mnt/new/stowage-store --host unix:///run/docker-new.sock
  stowage migrate --from unix:///var/run/docker.sock --to unix:///run/docker-new.sock
  stowage migrate --to ssh://admin@new-host   # the source is -H / DOCKER_HOST`)
    .option('--from <host>', 'with --to: the engine to copy from, in DOCKER_HOST form (default: -H / DOCKER_HOST / the context)')
    .option('--to <host>', 'copy every image and named volume straight into this engine (DOCKER_HOST form), with no directory between')
    .option('--no-volumes', 'with --to: images only')
    .option('--volume <name>', 'with --to: copy this named volume (repeatable; default: every named volume)', collect, [])
    .option('--dry-run', 'with --to: only print the plan')
    .option('--containers', 'with --to: first commit every container\'s writable layer on the source as an image stowage-migrate/NAME:ID12, which is then copied (their configuration is not)')
    .action(async (flags: { from?: string; to?: string; volumes: boolean; volume: string[]; dryRun?: boolean; containers?: boolean }) => {
      const c = ctx();
      if (!flags.to) throw new UsageError(flags.from ? '--from needs --to (the engine to copy into)' : 'give a subcommand (export, import, verify) or --to ENGINE', 'See `stowage migrate --help`.');
      if (!flags.volumes && flags.volume.length) throw new UsageError('--no-volumes and --volume contradict each other');
      const context = c.capabilityContext('migrate', { interruptible: true, engineTimeoutMs: 120_000 });
      const connect = (host: string | undefined) => connectEngine({ ...c.connectOptions(), ...(host ? { host, context: undefined } : {}), timeoutMs: 120_000 });
      let result;
      try {
        const [source, target] = await Promise.all([flags.from ? connect(flags.from) : context.engine(), connect(flags.to)]);
        result = await migrateCopy({ source, target, volumes: !flags.volumes ? 'none' : flags.volume.length ? flags.volume : 'all', dryRun: flags.dryRun ?? false, containers: flags.containers ?? false }, context);
      } finally {
        context.progress.end();
      }
      emit(c, result);
      if (result.applied?.aborted) {
        c.progress(new InterruptedError('migrate interrupted').message);
        setExit(ExitCode.interrupted);
      } else if (result.applied && result.applied.totals.failed > 0) setExit(ExitCode.hostFailure);
      else if (result.plan.refusals.length) setExit(ExitCode.refused);
      else setExit(ExitCode.ok);
    });

  migrate.command('export <dir>')
    .description('write every image (by ID, tags and digests kept) and the named volumes into DIR, each blob once')
    .option('--no-volumes', 'images only')
    .option('--volume <name>', 'export this named volume (repeatable; default: every named volume)', collect, [])
    .action(async (dir: string, flags: { volumes: boolean; volume: string[] }) => {
      const c = ctx();
      if (!flags.volumes && flags.volume.length) throw new UsageError('--no-volumes and --volume contradict each other');
      const context = c.capabilityContext('migrate', { interruptible: true, engineTimeoutMs: 120_000 });
      try {
        emit(c, await migrateExport({ dir, volumes: !flags.volumes ? 'none' : flags.volume.length ? flags.volume : 'all' }, context));
      } finally {
        context.progress.end();
      }
      setExit(ExitCode.ok);
    });

  migrate.command('import <dir>')
    .description('load DIR\'s images and tags into the engine (-H) and recreate its volumes; what is there already is skipped')
    .option('--no-volumes', 'images only')
    .option('--dry-run', 'only print the plan')
    .action(async (dir: string, flags: { volumes: boolean; dryRun?: boolean }) => {
      const c = ctx();
      const context = c.capabilityContext('migrate', { interruptible: true, engineTimeoutMs: 120_000 });
      let result;
      try {
        result = await migrateImport({ dir, volumes: flags.volumes, dryRun: flags.dryRun ?? false }, context);
      } finally {
        context.progress.end();
      }
      emit(c, result);
      if (result.applied?.aborted) {
        c.progress(new InterruptedError('migrate import interrupted').message);
        setExit(ExitCode.interrupted);
      } else if (result.applied && result.applied.totals.failed > 0) setExit(ExitCode.hostFailure);
      else if (result.plan.refusals.length) setExit(ExitCode.refused);
      else setExit(ExitCode.ok);
    });

  migrate.command('verify <dir>')
    .description('check DIR\'s blobs, and that the engine (-H) holds its images, tags and volumes unchanged')
    .option('--no-volumes', 'images only')
    .action(async (dir: string, flags: { volumes: boolean }) => {
      const c = ctx();
      const context = c.capabilityContext('migrate', { interruptible: true, engineTimeoutMs: 120_000 });
      let result;
      try {
        result = await migrateVerify({ dir, volumes: flags.volumes }, context);
      } finally {
        context.progress.end();
      }
      emit(c, result);
      setExit(result.equal ? ExitCode.ok : ExitCode.verificationFailed);
    });
};
