/** ext4Journal on recorded /proc/fs/jbd2 listings and tune2fs features. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ext4Journal } from '../../src/host/ext4-journal.js';
import { parseExtFeatures } from '../../src/host/dtype-probe.js';
import { recordedHostFs } from '../../src/host/host-fs.js';

// this CI VM: / on vda (no journal) and a journaled loop0; /proc/fs/jbd2 listed only `loop0-8`
const fs = recordedHostFs({ '/proc/fs/jbd2': { dir: ['loop0-8'] } });
const noJournal = parseExtFeatures('Filesystem features:      ext_attr resize_inode dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum\n');
const journaled = parseExtFeatures('Filesystem features:      has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum\n');

describe('ext4Journal', () => {
  it('reads the running journals from /proc/fs/jbd2', () => {
    assert.deepEqual(ext4Journal(fs, 'vda', undefined), { journal: false, evidence: ['/proc/fs/jbd2 has no vda-8'] });
    assert.deepEqual(ext4Journal(fs, 'loop0', undefined), { journal: true, evidence: ['/proc/fs/jbd2 lists loop0-8'] });
  });
  it('adds the superblock\'s word when tune2fs was read', () => {
    assert.deepEqual(ext4Journal(fs, 'loop0', journaled), { journal: true, evidence: ['/proc/fs/jbd2 lists loop0-8', 'tune2fs -l: has_journal feature'] });
    assert.equal(ext4Journal(fs, 'vda', noJournal).journal, false);
    // a journal on disk that the kernel does not run (mounted with noload) is no journal in effect
    assert.equal(ext4Journal(fs, 'vda', journaled).journal, false);
  });
  it('treats a host with no jbd2 directory as running no journal', () => {
    assert.equal(ext4Journal(recordedHostFs({}), 'sda1', undefined).journal, false);
  });
});
