import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directReads, sharedReads, type LayerDirReads } from '../../src/image/layer-dir-reads.js';
import type { LayerEntry } from '../../src/image/layer-entry.js';
import { mergedOverlayEntries } from '../../src/image/overlay2-merge.js';
import { walkOverlayDiff } from '../../src/image/overlay2-source.js';

/** Two layer directories as overlay2 keeps them: the upper one overwrites a file, adds a symlink and a hardlink pair. */
function layers(): { root: string; dirs: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'stowage-dir-reads-'));
  const dirs = [join(root, 'l0'), join(root, 'l1')];
  mkdirSync(join(dirs[0]!, 'etc', 'deep'), { recursive: true });
  writeFileSync(join(dirs[0]!, 'etc', 'a'), 'lower');
  writeFileSync(join(dirs[0]!, 'etc', 'deep', 'hidden-by-nothing'), 'x');
  writeFileSync(join(dirs[0]!, 'z'), 'z');
  mkdirSync(join(dirs[1]!, 'etc'), { recursive: true });
  writeFileSync(join(dirs[1]!, 'etc', 'a'), 'upper!');
  symlinkSync('/etc/a', join(dirs[1]!, 'etc', 'link'));
  mkdirSync(join(dirs[1]!, 'opt', 'keep'), { recursive: true });
  writeFileSync(join(dirs[1]!, 'opt', 'keep', 'k'), 'k');
  linkSync(join(dirs[1]!, 'opt', 'keep', 'k'), join(dirs[1]!, 'opt', 'keep-hardlink'));
  return { root, dirs };
}

/** Counts the calls `reads` makes, by kind and path. */
function counting(): { reads: LayerDirReads; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    reads: {
      names: (root, rel) => { calls.push(`names ${root}/${rel}`); return directReads.names(root, rel); },
      lstat: (root, rel) => { calls.push(`lstat ${root}/${rel}`); return directReads.lstat(root, rel); },
      readlink: (root, rel) => { calls.push(`readlink ${root}/${rel}`); return directReads.readlink(root, rel); },
    },
  };
}

async function bothWalks(dirs: string[], reads: LayerDirReads, mergedFirst: boolean): Promise<{ merged: LayerEntry[]; index: LayerEntry[][] }> {
  const xattrs = dirs.map(() => new Map<string, Record<string, Buffer>>());
  const merged: LayerEntry[] = [];
  const index: LayerEntry[][] = [];
  if (mergedFirst) merged.push(...mergedOverlayEntries(dirs, xattrs, reads));
  for (const d of dirs) index.push(await walkOverlayDiff(d, 'none', reads));
  if (!mergedFirst) merged.push(...mergedOverlayEntries(dirs, xattrs, reads));
  return { merged, index };
}

for (const mergedFirst of [false, true]) {
  test(`shared reads: the merged walk and the index walk (${mergedFirst ? 'merged' : 'index'} first) get the answers they get alone, each call made once`, async () => {
    const { root, dirs } = layers();
    try {
      const alone = counting();
      const expected = await bothWalks(dirs, alone.reads, mergedFirst);
      // alone, the two walks repeat calls (the merged walk's are all among the index's)
      const distinct = new Set(alone.calls);
      assert.ok(alone.calls.length > distinct.size, 'the walks alone repeat no call: the test shows nothing');
      const shared = counting();
      const got = await bothWalks(dirs, sharedReads(shared.reads), mergedFirst);
      assert.deepEqual(got, expected);
      assert.deepEqual(shared.calls.slice().sort(), [...distinct].sort());
      // the merged walk's own rules still apply: the upper /etc/a wins, the hardlink follows the name listed first
      assert.equal(got.merged.find((e) => e.path === 'etc/a')!.size, 6);
      assert.deepEqual(got.merged.filter((e) => e.type === 'hardlink').map((e) => [e.path, e.linkTarget]), [['opt/keep-hardlink', 'opt/keep/k']]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
