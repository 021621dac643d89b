/** The stowage command line: parses flags, calls one library function per command, renders the result. */
import { Command, CommanderError } from 'commander';
import { ExitCode, StowageError } from '../errors.js';
import { STOWAGE_VERSION } from '../version.js';
import { CliContext, type CliIo, type GlobalOptions } from './cli-context.js';
import { registerDoctor } from './doctor-command.js';
import { registerAnalyze } from './analyze-command.js';
import { registerBench } from './bench-command.js';
import { registerLint } from './lint-command.js';
import { registerFlatten } from './flatten-command.js';

/** Each command module adds its subcommand and sets the exit code through `setExit`. */
export type RegisterCommand = (program: Command, ctx: () => CliContext, setExit: (code: number) => void) => void;

const COMMANDS: RegisterCommand[] = [registerDoctor, registerBench, registerAnalyze, registerLint, registerFlatten];

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
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  const ctx = () => new CliContext(io, program.opts<GlobalOptions>());
  for (const register of COMMANDS) register(program, ctx, (code) => { exitCode = code; });
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

/** The one place errors become messages and exit codes. */
function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // help and --version exit 0; every other commander error is a usage error it has already printed
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof StowageError) {
    io.stderr.write(`stowage: ${err.message}\n`);
    if (err.hint) io.stderr.write(`  ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  io.stderr.write(`stowage: internal error: ${e?.message ?? String(err)}\n`);
  if (io.env.STOWAGE_DEBUG) io.stderr.write(`${e?.stack ?? ''}\n`);
  else io.stderr.write('  This is a bug in stowage; run again with STOWAGE_DEBUG=1 for the stack trace and report it.\n');
  return ExitCode.internal;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
