/**
 * Whether an ext3/ext4 filesystem runs with a journal. The kernel lists every journal it runs in
 * /proc/fs/jbd2 as `<device>-8` (e.g. `vda1-8`, `dm-0-8`), so a mounted filesystem without one has no entry;
 * `tune2fs -l`'s `has_journal` feature, when it was read, says the same from the superblock.
 */
import type { HostFs } from './host-fs.js';

export interface JournalState {
  journal: boolean;
  /** What said so: `/proc/fs/jbd2 has no loop3-8` or `tune2fs -l: no has_journal feature`. */
  evidence: string[];
}

/** `device` is the kernel's name for the block device (`vda1`, `dm-0`, `loop3`). */
export function ext4Journal(fs: HostFs, device: string, features: string[] | undefined): JournalState {
  const entry = `${device}-8`;
  const running = fs.listDir('/proc/fs/jbd2').includes(entry);
  const evidence = [running ? `/proc/fs/jbd2 lists ${entry}` : `/proc/fs/jbd2 has no ${entry}`];
  if (features) evidence.push(`tune2fs -l: ${features.includes('has_journal') ? 'has_journal' : 'no has_journal'} feature`);
  // the superblock wins when read; a journal mounted with noload shows as absent in jbd2, and is absent in effect
  const journal = features ? features.includes('has_journal') && running : running;
  return { journal, evidence };
}
