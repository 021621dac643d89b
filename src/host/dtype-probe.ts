/**
 * Whether a filesystem records file types in directory entries (d_type), asked of the filesystem's own
 * tools rather than of the engine: XFS keeps it as ftype (xfs_info), ext2/3/4 as the filetype feature
 * (tune2fs -l). overlay2 needs it; without it dockerd 20.10 silently falls back to vfs.
 */
import { StowageError } from '../errors.js';
import type { MountEntry } from './mountinfo.js';
import { hostTools } from './tool-runner.js';

export interface DtypeProbe {
  supported: boolean;
  /** The tool that said so, and what it said: `xfs_info: ftype=0`. */
  evidence: string;
  /** ext2/3/4: every feature `tune2fs -l` listed (`has_journal`, `filetype`, `extent`…). */
  features?: string[];
}

/** `ftype=1` in `xfs_info` output means d_type is recorded. */
export function parseXfsFtype(text: string): boolean | undefined {
  const m = /ftype=(\d)/.exec(text);
  return m ? m[1] === '1' : undefined;
}

/** The `Filesystem features:` line of `tune2fs -l`; d_type needs `filetype`. */
export function parseExtFeatures(text: string): string[] | undefined {
  const m = /^Filesystem features:\s*(.*)$/m.exec(text);
  return m ? m[1]!.trim().split(/\s+/) : undefined;
}

/** The tool's output; undefined when it is missing or fails (the probe then says nothing). */
async function run(tool: string, args: string[]): Promise<string | undefined> {
  try {
    return (await hostTools.run({ tool, args, timeoutMs: 5000 })).stdout.toString('utf8');
  } catch (err) {
    if (err instanceof StowageError) return undefined;
    throw err;
  }
}

/** Probes the filesystem of a mount; undefined when its type always has d_type or the tool is missing. */
export async function probeDtype(mount: MountEntry): Promise<DtypeProbe | undefined> {
  if (mount.fsType === 'xfs') {
    const ftype = parseXfsFtype((await run('xfs_info', [mount.mountPoint])) ?? '');
    return ftype === undefined ? undefined : { supported: ftype, evidence: `xfs_info: ftype=${ftype ? 1 : 0}` };
  }
  if (/^ext[234]$/.test(mount.fsType) && mount.source.startsWith('/dev/')) {
    const features = parseExtFeatures((await run('tune2fs', ['-l', mount.source])) ?? '');
    if (!features) return undefined;
    const supported = features.includes('filetype');
    return { supported, evidence: `tune2fs -l ${mount.source}: ${supported ? 'filetype' : 'no filetype'} feature`, features };
  }
  return undefined;
}
