/**
 * Turns runs of zero blocks of a file back into holes with `fallocate --dig-holes` (util-linux), then puts
 * its modification time back (digging changes it). Used after the engine's archive API wrote a sparse file
 * out in full: the content stays the same, the allocated blocks shrink to the data.
 */
import { utimes } from 'node:fs/promises';
import { hostTools } from './tool-runner.js';

export async function digHoles(path: string, mtimeSec: number): Promise<void> {
  await hostTools.run({ tool: 'fallocate', args: ['--dig-holes', '--', path], timeoutMs: 600_000 });
  await utimes(path, mtimeSec, mtimeSec);
}
