/** A PATH of one temporary directory linking every command of this PATH but the ones named. */
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function pathWithout(...tools: string[]): { dirs: string; remove: () => void } {
  const bin = mkdtempSync(join(tmpdir(), 'stowage-path-'));
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    let names: string[];
    try { names = readdirSync(dir); } catch { continue; }
    for (const name of names) {
      if (tools.includes(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return { dirs: bin, remove: () => rmSync(bin, { recursive: true, force: true }) };
}
