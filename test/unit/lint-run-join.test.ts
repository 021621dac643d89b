/**
 * The RUN join keeps the build's meaning, checked by running the scripts: for each pair of RUNs, the two
 * scripts run one after the other as the builder would (`sh -c A`, then `sh -c B` only when A succeeded) and
 * the joined script lint proposes runs once; exit status (pass or fail) and the files each leaves (names,
 * modes, contents) must be the same, under dash (/bin/sh) and busybox sh. Pairs where a join would change
 * the meaning (set -e in B, a comment, exit, cd, umask, variables in A) must get no join, or a join that
 * still passes the comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseModel } from '../../src/dockerfile/instruction-model.js';
import { fixText } from '../../src/lint/apply-fixes.js';
import { joinRuns } from '../../src/lint/run-join.js';

const SHELLS: string[][] = [['/bin/sh']];
if (existsSync('/usr/bin/busybox') || existsSync('/bin/busybox')) SHELLS.push([existsSync('/usr/bin/busybox') ? '/usr/bin/busybox' : '/bin/busybox', 'sh']);

interface Outcome {
  ok: boolean;
  files: string[];
}

/** Files under dir with mode and content, sorted: what the layer would hold. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.push(`${r}/ ${(st.mode & 0o7777).toString(8)}`);
        walk(p, r);
      } else {
        out.push(`${r} ${(st.mode & 0o7777).toString(8)} ${JSON.stringify(readFileSync(p, 'utf8'))}`);
      }
    }
  };
  walk(dir, '');
  return out;
}

/** Runs scripts one after another in a fresh directory, each in its own shell, stopping at the first failure. */
function runScripts(shell: string[], scripts: string[]): Outcome {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-join-'));
  try {
    mkdirSync(join(dir, 'sub'));
    let ok = true;
    for (const s of scripts) {
      // umask 022 as in a build container; a clean environment so nothing leaks between the two runs
      const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', `umask 022; ${s}`], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8' });
      if (r.status !== 0) {
        ok = false;
        break;
      }
    }
    return { ok, files: ok ? snapshot(dir) : [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The script the builder hands to `sh -c` for a shell-form RUN, worked out independently of stowage's
 * parser for these simple inputs: line continuations removed, comment lines inside the instruction dropped.
 */
function builderScript(dockerfile: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of dockerfile.split('\n')) {
    if (current !== undefined && /^\s*#/.test(line)) continue;
    const body = current === undefined ? /^RUN (.*)$/.exec(line)?.[1] : line;
    if (body === undefined) continue;
    if (body.endsWith('\\')) {
      current = (current ?? '') + body.slice(0, -1);
      continue;
    }
    out.push((current ?? '') + body);
    current = undefined;
  }
  return out;
}

function joined(a: string, b: string): string | undefined {
  const text = `FROM x\nRUN ${a}\n# between\n\nRUN ${b}\n`;
  const model = parseModel(text);
  const [sa, sb] = model.stages[0]!.steps;
  const j = joinRuns(model, sa!, sb!);
  if (!j) return undefined;
  let out = text;
  for (const e of [...j.edits].sort((x, y) => y.start - x.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

const PAIRS: { a: string; b: string; join: boolean }[] = [
  // plain pairs: joined, same result
  { a: 'echo one > f1', b: 'echo two > f2', join: true },
  { a: 'echo one > f1 && chmod 600 f1', b: 'cat f1 > f2 && rm f1', join: true },
  { a: 'false', b: 'touch never', join: true },
  { a: 'true', b: 'false', join: true },
  { a: 'test -e nothing || echo x > f', b: 'touch g', join: true },
  { a: 'echo a | tr a b > f', b: 'touch g | cat', join: true },
  // B that starts `set -eux;`: joined as a group, so set -e still stops B at its failing command
  { a: 'touch a', b: 'set -eux; false; touch after', join: true },
  { a: 'false', b: 'set -eux; touch b', join: true },
  { a: 'touch a', b: 'set -e; touch b; test -e b', join: true },
  // B with || (A && b1 || b2 would run b2 when A fails): grouped
  { a: 'false', b: 'touch b1 || touch b2', join: true },
  // B that changes shell state is last: nothing after it sees the change
  { a: 'touch a', b: 'cd sub && touch inside', join: true },
  { a: 'touch a', b: 'exit 0; touch never', join: true },
  // A whose last command would sit left of && under set -e
  { a: 'set -eux; false; touch a', b: 'touch b', join: false },
  // a comment in A would swallow the joined command
  { a: 'touch a # note', b: 'touch b', join: false },
  { a: 'touch a', b: 'touch b # note', join: false },
  // A that changes shell state for B
  { a: 'exit 0', b: 'touch b', join: false },
  { a: 'cd sub', b: 'touch where', join: false },
  { a: 'umask 077', b: 'touch private', join: false },
  { a: 'X=1', b: 'echo "$X" > x', join: false },
  { a: 'export X=1', b: 'echo "$X" > x', join: false },
  { a: 'set -e', b: 'false; touch after', join: false },
  { a: 'touch a; touch b', b: 'touch c', join: false },
  { a: 'sleep 0 &', b: 'touch c', join: false },
  { a: 'echo ${X:=1} > a', b: 'echo "$X" > x', join: false },
  { a: 'echo $((X=2)) > a', b: 'echo "$X" > x', join: false },
  { a: 'exec true', b: 'touch never', join: false },
];

test('RUN join: the joined script fails when the two failed and leaves the same files when they passed (dash, busybox sh)', () => {
  let offered = 0;
  for (const p of PAIRS) {
    const fixed = joined(p.a, p.b);
    assert.equal(fixed !== undefined, p.join, `${JSON.stringify(p)}: join ${fixed === undefined ? 'not ' : ''}offered:\n${fixed ?? ''}`);
    if (!fixed) continue;
    offered++;
    const scripts = builderScript(fixed);
    assert.equal(scripts.length, 1, fixed);
    for (const shell of SHELLS) {
      const before = runScripts(shell, [p.a, p.b]);
      const after = runScripts(shell, scripts);
      assert.deepEqual(after, before, `${shell.join(' ')}: ${JSON.stringify(p)}\njoined: ${scripts[0]}`);
    }
  }
  assert.ok(offered >= 10);
});

test('RUN join: the unsafe join and the two apt fixes together never leave an apt-get install without lists', () => {
  // the second RUN installs without update: no cleanup may be appended to the first
  const text = 'FROM debian\nRUN apt-get update\nRUN apt-get install -y a\nRUN apt-get install -y b\n';
  const fixed = fixText(text, { unsafe: true }).text;
  assert.equal(fixed.includes('rm -rf /var/lib/apt/lists'), false, fixed);
  // idempotent
  assert.equal(fixText(fixed, { unsafe: true }).text, fixed);
});
