/** The stowage command line: parses flags, calls one library function per command, renders the result. */
import { Command, CommanderError } from 'commander';
import { ExitCode, StowageError, UsageError, type ExitCodeValue } from '../errors.js';
import { STOWAGE_VERSION } from '../version.js';
import { CliContext, type CliIo, type GlobalOptions } from './cli-context.js';
import { jsonErrorDocument } from './json-error.js';
import { flagWording } from './option-flags.js';

/** Each command module adds its subcommand and sets the exit code through `setExit`. */
export type RegisterCommand = (program: Command, ctx: () => CliContext, setExit: (code: number) => void) => void;

/** Command modules by name, in help order; only the one a command line names is loaded (they pull in much). */
const COMMANDS: Record<string, () => Promise<RegisterCommand>> = {
  doctor: async () => (await import('./doctor-command.js')).registerDoctor,
  bench: async () => (await import('./bench-command.js')).registerBench,
  analyze: async () => (await import('./analyze-command.js')).registerAnalyze,
  lint: async () => (await import('./lint-command.js')).registerLint,
  flatten: async () => (await import('./flatten-command.js')).registerFlatten,
  report: async () => (await import('./report-command.js')).registerReport,
  prune: async () => (await import('./prune-command.js')).registerPrune,
  provision: async () => (await import('./provision-command.js')).registerProvision,
  migrate: async () => (await import('./migrate-command.js')).registerMigrate,
  watch: async () => (await import('./watch-command.js')).registerWatch,
};

/** Global options that take a value, so that the value is not taken for the command's name. */
const VALUE_OPTIONS = new Set(['-H', '--host', '-c', '--context', '--progress']);

/** The command `argv` names, if any (the first word that is neither an option nor an option's value). */
export function commandOf(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** Whether `--json` is among the global flags (read before parsing, so that a usage error is JSON too). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** A command line naming no command stowage has (`stowage nosuch`, `stowage nosuch --help`, `stowage help nosuch`). */
function unknownCommand(argv: string[], named: string | undefined): UsageError | undefined {
  const rest = named === 'help' ? argv.slice(argv.indexOf('help') + 1) : [];
  const name = named === 'help' ? rest.find((a) => !a.startsWith('-')) : named;
  if (name === undefined || Object.hasOwn(COMMANDS, name)) return undefined;
  return new UsageError(`unknown command "${name}"`, `Commands: ${Object.keys(COMMANDS).join(', ')} (stowage --help).`);
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command('stowage')
    .description('Find, measure and fix slow Docker storage.')
    .version(STOWAGE_VERSION, '-V, --version')
    .option('-H, --host <url>', 'engine to talk to (unix:///path, tcp://HOST:PORT, ssh://USER@HOST); default: DOCKER_HOST, the docker context, /var/run/docker.sock')
    .option('-c, --context <name>', 'docker context to use')
    .option('--json', 'print one versioned JSON document on stdout')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--progress <kind>', 'progress on stderr: auto (a live line on a terminal, lines otherwise), tty, plain, ndjson, none', 'auto')
    .showHelpAfterError('(run with --help for usage)')
    // every command's --help also lists the options above (--json, -H, ...), which go before the command
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  const ctx = () => new CliContext(io, program.opts<GlobalOptions>());
  const named = commandOf(argv);
  const json = wantsJson(argv);
  const unknown = unknownCommand(argv, named);
  if (unknown) return reportError(unknown, io, json, undefined);
  const load = named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
  for (const register of await Promise.all(load.map((l) => l()))) register(program, ctx, (code) => { exitCode = code; });
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(err, io, json, named);
  }
}

/**
 * The one place errors become messages and exit codes: text on stderr, and under `--json` also one error
 * document on stdout.
 */
function reportError(err: unknown, io: CliIo, json: boolean, command: string | undefined): number {
  const emit = (exitCode: ExitCodeValue, message: string, hint: string | undefined, printed = false): number => {
    if (!printed) {
      io.stderr.write(`stowage: ${message}\n`);
      if (hint) io.stderr.write(`  ${hint}\n`);
    }
    if (json) io.stdout.write(`${JSON.stringify(jsonErrorDocument(command, exitCode, message, hint), null, 2)}\n`);
    return exitCode;
  };
  if (err instanceof CommanderError) {
    // help and --version exit 0; every other commander error is a usage error it has already printed
    if (err.exitCode === 0) return ExitCode.ok;
    // commander.help with a non-zero exit: help was shown because the command line named no (sub)command
    const message = err.code === 'commander.help'
      ? (command ? `${command}: a subcommand is required` : 'no command given')
      : err.message.replace(/^error: /, '');
    return emit(ExitCode.usage, message, 'Run with --help for usage.', true);
  }
  if (err instanceof StowageError) return emit(err.exitCode, flagWording(err.message), flagWording(err.hint));
  const e = err as Error;
  const code = emit(ExitCode.internal, `internal error: ${e?.message ?? String(err)}`,
    'This is a bug in stowage; run again with STOWAGE_DEBUG=1 for the stack trace and report it.');
  if (io.env.STOWAGE_DEBUG) io.stderr.write(`${e?.stack ?? ''}\n`);
  return code;
}

function processIo(): CliIo {
  // A reader that goes away (`stowage lint --help | head -3`) is no error of the command's: its output is
  // dropped and the command ends as it would have, with its own exit code, never with a stack trace. A
  // command that writes as it goes and never ends by itself (watch) stops when stdout's reader has gone.
  const closed = new AbortController();
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      if (stream === process.stdout && !closed.signal.aborted) closed.abort(new Error('stdout was closed by its reader'));
    });
  }
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, outputClosed: closed.signal };
}
