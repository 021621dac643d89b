/**
 * Fuzzing the parser and the instruction model with mutations of the real corpus (deleted and duplicated
 * characters, cut and split lines, inserted quotes, escapes, heredoc markers, substitutions) and generated
 * worst cases (deep nesting, very long lines). Every input must parse, or yield a finding, within a time
 * bound, never throw; and what it returns must be consistent (spans inside the text, lines in order).
 * Seeded: a failure prints the seed and input number, and FUZZ_SEED=… reproduces the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDockerfile, type DockerfileAst, type Instruction } from '../../src/dockerfile/parser.js';
import { buildModel, copyView, runMounts, runScripts } from '../../src/dockerfile/instruction-model.js';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'corpus');
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed12);
const MUTANTS = 2500;
/** CPU time, with room for a loaded machine: the worst generated input takes about 200 ms, a corpus file 0.1 ms; a
 * super-linear blowup takes seconds to hours. */
const MS_PER_INPUT = 2000;

/** mulberry32: small, fast, and the same sequence on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpusTexts(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Dockerfile' || e.name.endsWith('.Dockerfile')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(CORPUS);
  return out.sort();
}

const INSERTS = ['"', "'", '\\', '`', '\\\n', '\n', '\r\n', '<<EOF', '<<-EOF\n', '<<"X"', '${', '}', '$((', '[', ']', '["a", [', '--', '--x="a b" ',
  '# escape=`\n', 'ONBUILD ', 'EOF\n', '\t', ' \\ \n', '#', '\u00a0', '\uFEFF', '\u0085', '=', "''", '${A:-${B:-'];

function mutate(text: string, r: () => number): string {
  let t = text;
  const ops = 1 + Math.floor(r() * 6);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(r() * (t.length + 1));
    const len = 1 + Math.floor(r() * 8);
    switch (Math.floor(r() * 6)) {
      case 0: t = t.slice(0, at) + t.slice(at + len); break;
      case 1: t = t.slice(0, at) + t.slice(at, at + len).repeat(2 + Math.floor(r() * 3)) + t.slice(at + len); break;
      case 2: t = t.slice(0, at); break;
      case 3: t = `${t.slice(0, at)}\n${t.slice(at)}`; break;
      default: t = t.slice(0, at) + INSERTS[Math.floor(r() * INSERTS.length)]! + t.slice(at); break;
    }
  }
  return t;
}

function generated(): string[] {
  let nested = 'x';
  for (let i = 0; i < 2000; i++) nested = `\${A:-${nested}}`;
  return [
    `FROM a\nARG A=${nested}\nRUN echo $A\n`,
    `FROM a\nENV A=${nested}\nCOPY ${nested} /x\nWORKDIR ${nested}\n`,
    `FROM a\nRUN cat <<EOF ${nested}\nx\nEOF\n`,
    `FROM a\nCMD ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
    `FROM a\nCMD ${'['.repeat(20000)}\n`,
    `FROM a\n${'ONBUILD '.repeat(10000)}RUN x\n`,
    `FROM a\nRUN echo ${'x'.repeat(200_000)}\n`,
    `FROM a\nRUN echo ${'"'.repeat(100_000)}\n`,
    `FROM a\nRUN ${'x \\\n'.repeat(50_000)}\n`,
    `FROM a\nRUN ${'<<E '.repeat(5000)}\n`,
    `FROM a\n${'RUN <<EOF\n'.repeat(5000)}`,
    `FROM a\nRUN --${'x'.repeat(100_000)}="${'y '.repeat(50_000)}\n`,
    `FROM a\nENV ${'A=$A$A '.repeat(5000)}\n`,
    ['FROM a', 'ENV A=0123456789abcdef', ...Array.from({ length: 60 }, () => 'ENV A=$A$A$A'), 'RUN true'].join('\n'),
    ['FROM a', ...Array.from({ length: 3000 }, (_, i) => `ENV V${i}=${i}`), ...Array.from({ length: 3000 }, () => 'RUN true')].join('\n'),
    `FROM a\nRUN echo ${'${A'.repeat(30_000)}\n`,
    `FROM a\nRUN echo ${'$(('.repeat(30_000)}<<EOF\n`,
    '\\'.repeat(100_000),
    `${'\n'.repeat(100_000)}FROM a`,
    `FROM a\nRUN a \\${'\n'.repeat(50_000)}`,
  ];
}

/** What every parse must satisfy, whatever the input. */
function checkInvariants(text: string, ast: DockerfileAst): void {
  const n = ast.source.text.length;
  const inside = (s: { start: number; end: number }) => s.start >= 0 && s.start <= s.end && s.end <= n;
  let lastLine = -1;
  const check = (i: Instruction) => {
    assert.ok(inside(i.span) && inside(i.keywordSpan), 'instruction span inside the text');
    assert.ok(i.startLine <= i.endLine, 'start line before end line');
    assert.equal(i.map.length, i.logical.length + 1);
    for (const f of i.flags) assert.ok(inside(f.span));
    for (const h of i.heredocs) assert.ok(inside(h.bodySpan) && inside(h.markerSpan));
  };
  for (const i of ast.instructions) {
    check(i);
    if (i.onbuild) check(i.onbuild);
    assert.ok(i.startLine > lastLine, 'instructions in order, not overlapping');
    lastLine = i.endLine;
  }
  for (const p of ast.problems) assert.ok(inside(p.span), `problem span inside the text: ${p.message}`);
  assert.ok(ast.instructions.length > 0 || ast.problems.length > 0 || text.length === 0, 'an input without instructions has a finding');
}

function exercise(text: string): void {
  const ast = parseDockerfile(text);
  checkInvariants(text, ast);
  const model = buildModel(ast);
  for (const stage of model.stages) {
    for (const step of stage.steps) {
      copyView(step, ast.escape);
      runScripts(step);
      runMounts(step.inst);
    }
  }
}

test('fuzz: mutated corpus and generated worst cases parse or yield findings, in bounded time, never throw', (t) => {
  assert.ok(existsSync(CORPUS), `corpus at ${CORPUS}`);
  const base = corpusTexts();
  assert.ok(base.length >= 270, `corpus files found: ${base.length}`);
  const r = rng(SEED);
  const inputs = [...generated(), ...Array.from({ length: MUTANTS }, () => mutate(base[Math.floor(r() * base.length)]!, r))];
  let slowest = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  inputs.forEach((text, k) => {
    const t0 = process.cpuUsage();
    try {
      exercise(text);
    } catch (e) {
      assert.fail(`input ${k} (FUZZ_SEED=${SEED}) ${JSON.stringify(text.slice(0, 200))}: ${(e as Error).stack}`);
    }
    const used = process.cpuUsage(t0);
    const ms = (used.user + used.system) / 1000;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < MS_PER_INPUT, `input ${k} (FUZZ_SEED=${SEED}) took ${ms.toFixed(0)} ms of CPU`);
  });
  const cpu = process.cpuUsage(cpu0);
  t.diagnostic(`fuzz: ${inputs.length} inputs in ${(performance.now() - started).toFixed(0)} ms (${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of CPU), slowest ${slowest.toFixed(1)} ms of CPU (seed ${SEED})`);
});

test('fuzz: the deep and long generated inputs give the findings they should', () => {
  const gen = generated();
  const kinds = (k: number) => parseDockerfile(gen[k]!).problems.map((p) => p.kind);
  assert.ok(buildModel(parseDockerfile(gen[0]!)).ast.problems.some((p) => p.kind === 'limit'), 'nested substitution');
  assert.ok(kinds(2).includes('limit'), 'nested substitution in a heredoc line');
  assert.ok(kinds(5).includes('limit'), 'ONBUILD chain');
  assert.ok(kinds(6).includes('syntax'), 'line over 64 kB');
  assert.ok(buildModel(parseDockerfile(gen[13]!)).ast.problems.some((p) => p.kind === 'limit'), 'doubling values');
});
