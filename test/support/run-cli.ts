/** Runs the built CLI as a user would, capturing stdout, stderr and the exit code. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const STOWAGE_BIN = fileURLToPath(new URL('../../../bin/stowage', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; wrap?: (cmd: string[]) => string[]; timeoutMs?: number } = {}): Promise<CliResult> {
  const command = options.wrap ? options.wrap([process.execPath, STOWAGE_BIN, ...args]) : [process.execPath, STOWAGE_BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`stowage ${args.join(' ')} timed out`)); }, options.timeoutMs ?? 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}
