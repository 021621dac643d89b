/** `stowage bench start|disk|build`: one module per subcommand under cli/bench/. */
import type { RegisterCommand } from './main.js';
import { registerStart } from './bench/start-command.js';
import { registerDisk } from './bench/disk-command.js';
import { registerBuild } from './bench/build-command.js';
import { registerHello } from './bench/hello-command.js';

export const registerBench: RegisterCommand = (program, ctx, setExit) => {
  const bench = program.command('bench').description('reproduce slow starts, slow disks and slow builds, and say why');
  registerStart(bench, ctx, setExit);
  registerDisk(bench, ctx, setExit);
  registerBuild(bench, ctx, setExit);
  registerHello(bench, ctx, setExit);
};
