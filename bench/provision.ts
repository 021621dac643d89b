/**
 * bench/provision (issue 16): moving a data-root of over 1 GB (many small files, hardlinks, xattrs, a few large
 * sparse files) onto a fresh loop disk with provision's copy step, the code apply runs (`copyTree`, then
 * `treeBytes` of the target as its step result) plus a verification (file count and apparent bytes of both
 * trees, and the target's allocated bytes not above the source's: holes kept), beside `rsync -aHAX --sparse` of
 * the same tree to the same kind of fresh loop disk, alternating, in the same run. Prints medians, the ratio and
 * the load average. Run as root: `node dist/bench/provision.js [--rounds 3]`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeBytes } from '../src/host/provision-tools.js';
import { copyTree } from '../src/host/tree-copy.js';
import { NEEDS, requirePrerequisites } from './prerequisites.js';
import { writeDataRootTree } from './support/data-root-tree.js';

requirePrerequisites('bench/provision', ['root', 'loop devices', NEEDS.losetup, { tool: 'mkfs.xfs', install: 'apt-get install xfsprogs' },
  { tool: 'rsync', install: 'apt-get install rsync' }, { tool: 'setfattr', install: 'apt-get install attr' }]);

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-provision-'));
const loops: string[] = [];
const mounts: string[] = [];

/** A fresh XFS loop disk (ftype=1, as provision makes it), mounted; returns its mount point. */
function freshDisk(name: string, mib: number): string {
  const image = join(dir, `${name}.img`);
  execFileSync('truncate', ['-s', `${mib}M`, image]);
  const dev = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
  loops.push(dev);
  execFileSync('mkfs.xfs', ['-q', '-n', 'ftype=1', dev]);
  const mnt = join(dir, name);
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'xfs', dev, mnt]);
  mounts.push(mnt);
  return mnt;
}

function dropDisk(mnt: string): void {
  const i = mounts.indexOf(mnt);
  const src = execFileSync('findmnt', ['-no', 'SOURCE', mnt], { encoding: 'utf8' }).trim();
  execFileSync('umount', [mnt]);
  mounts.splice(i, 1);
  execFileSync('losetup', ['-d', src]);
  loops.splice(loops.indexOf(src), 1);
  rmSync(`${mnt}.img`, { force: true });
  rmSync(mnt, { recursive: true, force: true });
}

const count = (root: string) => Number(execFileSync('sh', ['-c', `find '${root}' | wc -l`], { encoding: 'utf8' }).trim());
const apparent = (root: string) => Number(execFileSync('du', ['-sxb', '--apparent-size', root], { encoding: 'utf8' }).split(/\s/)[0]);
const allocated = (root: string) => Number(execFileSync('du', ['-sxB1', root], { encoding: 'utf8' }).split(/\s/)[0]);

async function main(): Promise<void> {
  try {
    const source = freshDisk('source', 4096);
    const tree = join(source, 'docker');
    const shape = { smallFiles: 40_000, smallBytes: 12_000, largeFiles: 3, largeApparentBytes: 2 * 1024 ** 3, largeDataBytes: 200 * 1024 ** 2 };
    const wrote = writeDataRootTree(tree, shape);
    execFileSync('sync');
    const want = { files: count(tree), apparent: apparent(tree), allocated: allocated(tree) };
    console.log(`tree: ${wrote.files} files (${shape.smallFiles} small, ${shape.smallFiles / 50} hardlinks, ${shape.largeFiles} sparse of ${(shape.largeApparentBytes / 1024 ** 3).toFixed(0)} GiB), `
      + `${(wrote.dataBytes / 1e9).toFixed(2)} GB of data, ${(want.apparent / 1e9).toFixed(2)} GB apparent; ${rounds} rounds, medians; load before ${load()}`);
    const stow: number[] = [];
    const rsync: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 ? ['rsync', 'stowage'] : ['stowage', 'rsync']) {
        execFileSync('sync');
        spawnSync('sh', ['-c', 'echo 3 > /proc/sys/vm/drop_caches']);
        const target = freshDisk(`target-${which}-${r}`, 4096);
        const t0 = performance.now();
        if (which === 'stowage') {
          // apply's copy-data step, then the verification counted in its time
          await copyTree(tree, target, { timeoutMs: 3_600_000 });
          await treeBytes(target);
          const got = { files: count(target), apparent: apparent(target), allocated: allocated(target) };
          if (got.files !== want.files + 0 || got.apparent !== want.apparent || got.allocated > want.allocated * 1.01) {
            throw new Error(`the copy differs: ${JSON.stringify(got)} vs the source ${JSON.stringify(want)}`);
          }
          stow.push(performance.now() - t0);
        } else {
          execFileSync('rsync', ['-aHAX', '--sparse', `${tree}/`, `${target}/`]);
          rsync.push(performance.now() - t0);
          const got = { files: count(target), apparent: apparent(target), allocated: allocated(target) };
          console.log(`  rsync round ${r + 1}: ${JSON.stringify(got)}`);
        }
        console.log(`  round ${r + 1} ${which}: ${((performance.now() - t0) / 1000).toFixed(1)} s, load ${load()}`);
        dropDisk(target);
      }
    }
    const s = median(stow) / 1000;
    const b = median(rsync) / 1000;
    console.log(`provision copy step + verification   ${s.toFixed(1)} s (${(want.apparent / 1e6 / s).toFixed(0)} MB/s apparent)`);
    console.log(`rsync -aHAX --sparse (baseline)      ${b.toFixed(1)} s`);
    console.log(`ratio stowage / rsync                ${(s / b).toFixed(2)}  (load ${load()}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores)`);
  } finally {
    for (const m of [...mounts].reverse()) spawnSync('umount', [m]);
    for (const l of loops) spawnSync('losetup', ['-d', l]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
