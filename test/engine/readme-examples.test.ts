/**
 * Issue 20, "Done": the README's examples are run by a test that fails when one stops working as documented.
 * Every `stowage` command line of README.md's fenced blocks (```sh lines, `$ ` lines of the others) is either
 * run here through `sh -c` on the real engine, with `stowage` on PATH as bin/stowage, or listed in NOT_RUN with
 * the reason and checked to parse (its command and every flag it uses are known). A new example that is in
 * neither table fails the test, so the README cannot grow an example nobody ran.
 *
 * The expected exit code is the README's rule for the command: 1 when a finding shown is at or above
 * `--fail-on` (default `error` for doctor and analyze, `warn` for lint, none for bench), else 0; the
 * severities are read from the example's own output (text, JSON, SARIF or GitHub annotations). Where the README
 * shows what the command prints, the run must print the same rows (`  tar bytes  …`), table headers and, where
 * the input is the README's own, the same finding ids: a renamed figure or a lost row fails here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BUSYBOX_IMAGE, DOCKER_CLI, buildImage, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { withBuildCacheCleanup } from '../support/build-cache.js';
import { STOWAGE_BIN, runCli } from '../support/run-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface Example {
  line: number;
  command: string;
  /** What the README shows the command printing (the lines after a `$ ` line, up to the next one). */
  shown: string[];
}

/** The stowage command lines of the README's fenced blocks, with the line each is on and the output shown. */
function readmeExamples(): Example[] {
  const out: Example[] = [];
  for (const m of README.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
    const lang = m[1]!;
    if (!['', 'sh', 'console'].includes(lang)) continue;
    let line = README.slice(0, m.index).split('\n').length;
    let current: Example | undefined;
    for (const text of m[2]!.split('\n')) {
      line++;
      const prompt = text.startsWith('$ ');
      if (!prompt && lang !== 'sh') {
        // console and bare blocks: only the `$ ` lines are commands, the lines under one are its output
        current?.shown.push(text);
        continue;
      }
      current = undefined;
      const command = (prompt ? text.slice(2) : text).trim();
      if (/(^|&& *|\.\/bin\/)stowage /.test(command)) out.push(current = { line, command, shown: [] });
    }
  }
  return out;
}

/**
 * What the README's shown output promises, checked against a run: the labels of its rows (`  engine     …`,
 * `  tar bytes   476 MB  ->  284 MB`, a table's header words) and the finding ids it shows in brackets. Figures
 * are the README's machine's; the shape and the names are what a user relies on.
 */
function promisedShape(shown: readonly string[]): { labels: string[]; ids: string[] } {
  const labels = new Set<string>();
  const ids = new Set<string>();
  for (const raw of shown) {
    const text = raw.replace(/\s+\(stderr\)\s*$/, '');
    for (const m of text.matchAll(/\[([a-z]+\/[a-z0-9-]+)\]$/g)) ids.add(m[1]!);
    // a row: up to 2 spaces of indent (deeper are a table's rows), a lower-case label of words, then two or more
    // spaces and its value
    const row = /^ {0,2}([a-z][a-z-]*(?: [a-z][a-z-]*)*) {2,}\S/.exec(text);
    if (row) labels.add(row[1]!);
    // a table header: three or more upper-case words (REPOSITORY  TAG  IMAGE ID …)
    if (/^\s*[A-Z][A-Z-]+(?: {1,}[A-Z][A-Z-]+){2,}\s*$/.test(text)) labels.add(text.trim().replace(/\s+/g, ' '));
  }
  return { labels: [...labels], ids: [...ids] };
}

/** Checks a run's output against the shape the README shows; returns what is missing. */
function missingFromRun(shape: { labels: string[]; ids: string[] }, output: string, deterministicIds: boolean): string[] {
  const lines = output.split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
  const missing = shape.labels.filter((l) => !lines.some((x) => x === l || x.startsWith(`${l} `)));
  if (deterministicIds) missing.push(...shape.ids.filter((id) => !output.includes(`[${id}]`)).map((id) => `[${id}]`));
  return missing;
}

type Severity = 'info' | 'warn' | 'error';
const RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };

/** The highest severity the example printed, read the way a user or a script would. */
function highestShown(stdout: string, files: string[]): Severity | undefined {
  const seen: Severity[] = [];
  for (const m of stdout.matchAll(/^(ERROR|WARN|INFO) /gm)) seen.push(m[1]!.toLowerCase() as Severity);
  for (const m of stdout.matchAll(/^::(error|warning|notice) /gm)) seen.push(({ error: 'error', warning: 'warn', notice: 'info' } as const)[m[1] as 'error']);
  const fromJson = (doc: unknown): void => {
    if (Array.isArray(doc)) doc.forEach(fromJson);
    else if (doc && typeof doc === 'object') {
      const o = doc as Record<string, unknown>;
      if (typeof o.id === 'string' && typeof o.severity === 'string' && o.severity in RANK) seen.push(o.severity as Severity);
      if (typeof o.ruleId === 'string' && typeof o.level === 'string') seen.push(({ error: 'error', warning: 'warn', note: 'info' } as Record<string, Severity>)[o.level]!);
      Object.values(o).forEach(fromJson);
    }
  };
  for (const text of [stdout, ...files]) if (text.trimStart().startsWith('{')) fromJson(JSON.parse(text));
  return seen.sort((a, b) => RANK[b] - RANK[a])[0];
}

/** The README's exit code for an example: 1 when something shown reaches --fail-on. */
function documentedCode(command: string, stdout: string, files: string[]): number {
  const stowage = command.split('&&').find((c) => /stowage /.test(c))!;
  const sub = /stowage (?:--json |-H \S+ )*(\w+)/.exec(stowage)![1]!;
  const flag = /--fail-on (\w+)/.exec(stowage)?.[1] as Severity | undefined;
  const failOn = flag ?? ({ doctor: 'error', analyze: 'error', lint: 'warn' } as Record<string, Severity>)[sub];
  if (!failOn) return 0;
  const shown = highestShown(stdout, files);
  return shown !== undefined && RANK[shown] >= RANK[failOn] ? 1 : 0;
}

/** The lint example's project, as the README shows it (its `FROM busybox` is the local busybox image). */
function lintProject(dir: string): void {
  mkdirSync(join(dir, 'app'));
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'app', `f${i}.js`), `module.exports = ${i};\n`);
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCOPY app /app\nRUN chown -R 1000:1000 /app && chmod -R 755 /app\nCMD ["sh"]\n`);
}

/** A project with services/*\/Dockerfile, docker/Dockerfile and a multi-stage Dockerfile with ARG BASE and a prod stage. */
function manyDockerfiles(dir: string): void {
  lintProject(dir);
  for (const d of ['services/api', 'services/web', 'docker']) {
    mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, d, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCOPY --chown=1000:1000 . /srv\nCMD ["sh"]\n`);
  }
  writeFileSync(join(dir, 'Dockerfile'), `ARG BASE=${BUSYBOX_IMAGE}\nFROM $BASE AS build\nRUN echo built > /out\nFROM ${BUSYBOX_IMAGE} AS prod\nCOPY --from=build /out /out\nCMD ["sh"]\n`);
}

/** bench build's ./app: a Dockerfile that chowns after the copy and the fixed one that does not. */
function benchApp(dir: string): void {
  const app = join(dir, 'app');
  mkdirSync(app);
  for (let i = 0; i < 20; i++) writeFileSync(join(app, `f${i}.txt`), `${i}\n`.repeat(1000));
  writeFileSync(join(app, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCOPY . /app\nRUN chown -R 1000:1000 /app\nCMD ["sh"]\n`);
  writeFileSync(join(app, 'Dockerfile.fixed'), `FROM ${BUSYBOX_IMAGE}\nCOPY --chown=1000:1000 . /app\nCMD ["sh"]\n`);
}

interface Plan {
  /** Fills the example's working directory (a fresh temp dir); the repository root when absent. */
  setup?: (dir: string) => void;
  /** What the example writes into its directory, read for the severities (SARIF). */
  files?: string[];
  /** Leaves images or build cache behind (docker build .): run inside a build-cache cleanup, then remove them. */
  builds?: boolean;
  /**
   * Leaves build cache that is not its own to remove: `bench build` keeps the records it did not create
   * (the base's, shared with earlier builds), which on this test's engine are the suite's.
   */
  buildCache?: boolean;
  /**
   * The example's input is the README's own (a fixture made to match): the finding ids its shown output
   * names must be in the run's. Elsewhere the findings are the host's.
   */
  sameFindings?: boolean;
  /** Rows of the shown output this host need not have, each with why. */
  hostRows?: Record<string, string>;
}

/** The examples run here, by their README text (image names as the README spells them). */
const RUN: Record<string, Plan> = {
  'npm ci && ./bin/stowage doctor      # install (builds on prepare), then diagnose this host\'s Docker storage': {},
  'stowage doctor': {},
  'stowage doctor --json --fail-on warn     # CI gate: exit 1 on any warning': {},
  'stowage doctor --only disk,io            # just the disk and the I/O probe': {},
  'stowage doctor --skip io --no-probe      # never write into data-root': {},
  'stowage doctor --only space --verbose': {
    hostRows: { 'CONTAINER STATE DRIVER MAX-SIZE MAX-FILE LOG BYTES': 'the logs table lists containers, and the host engine has one only while another test runs it' },
  },
  'stowage lint --buildkit': { setup: lintProject, sameFindings: true },
  'stowage lint --buildkit --diff': { setup: lintProject, sameFindings: true },
  'stowage lint --buildkit --fix && docker build .': { setup: lintProject, builds: true },
  'stowage lint services/*/Dockerfile docker/          # many files, globs (*, ?, **), directories (searched)': { setup: manyDockerfiles },
  'stowage lint --fix-unsafe --diff                    # preview every fix, the unsafe ones too': { setup: lintProject },
  'stowage lint --format sarif > lint.sarif            # GitHub code scanning (SARIF 2.1.0)': { setup: lintProject, files: ['lint.sarif'] },
  'stowage lint --format github                        # annotations in a GitHub Actions log': { setup: lintProject },
  'stowage --json lint --fail-on error                 # CI gate: exit 1 only on errors': { setup: lintProject },
  'stowage lint --build-arg BASE=debian --target prod  # resolve ARGs, lint the stage that is built': { setup: manyDockerfiles },
  'stowage analyze stowage-demo/app:1': { sameFindings: true },
  'stowage analyze --paths metadata-only --layer 2 stowage-demo/app:1': { sameFindings: true },
  'stowage flatten stowage-bench/flatten-deep:1': { sameFindings: true },
  'stowage bench start --image stowage-test/busybox:latest -n 20 --cmd date': {},
  'stowage bench build ./app --vs ./app/Dockerfile.fixed --network host': { setup: benchApp, buildCache: true },
  'stowage report --run --no-probe -o report.html                 # run doctor now and render it (--images 3: also analyze the 3 largest images)': { setup: () => undefined, files: ['report.html'] },
  // prune without --apply only reads the engine: safe on the shared host engine
  'stowage prune                                                      # the plan only: nothing is removed': {},
  'stowage prune --images unused --keep-recent 3 --keep-since 168h    # also every image no container uses, but the 3 newest tags of each repository': {},
  'stowage prune --images unused --volumes anonymous --keep-label keep=true': {},
  'stowage watch --once --burst-model gp2 --size 100G': {},
};

/** The examples not run here, each with why; they are still checked to parse. */
const NOT_RUN: Record<string, string> = {
  'stowage prune --apply                                              # remove what the plan lists':
    'removes objects of the shared host engine that other tests own; --apply runs on a private engine in test/engine/prune-private-engine.test.ts',
  'stowage --json prune --volumes anonymous --networks --apply        # also unused anonymous volumes and custom networks':
    'removes objects of the shared host engine that other tests own; --apply with volumes and networks runs on a private engine in test/engine/prune-private-engine.test.ts',
  'stowage -H ssh://ops@build-7 doctor      # a remote engine (disk and I/O checks need the local host)':
    'needs a remote host build-7 reachable over ssh; unreachable ssh endpoints are tested in test/engine/doctor-endpoints.test.ts',
  'stowage bench disk --runtime 2s --in-container --image stowage-test/busybox:latest --write-iops 50':
    'runs about 30 s (the README\'s own run: 12.6 s + 17.8 s), half of this test\'s budget; run in full by test/engine/bench-disk.test.ts',
  'stowage report doctor.json start/timeline.json -o report.html  # documents written earlier (--json, bench start --out start/)':
    'its inputs are documents written by earlier runs; report-page.test.ts renders real doctor and bench start (--out) documents the same way',
  'stowage report report.html -o again.html                       # a page renders again from the documents it embeds':
    'needs a page written earlier; report-page.test.ts renders a page again from itself and compares the embedded documents',
  'stowage watch --json --count 60 > watch.ndjson; stowage report watch.ndjson -o report.html   # a minute of watch, drawn':
    'watches for 60 s, this test\'s whole budget per example; report-page.test.ts renders a real watch --json snapshot (--count 3) the same way',
  'stowage provision plan --device /dev/disk/azure/resource --split 50G:/data':
    'needs an Azure VM\'s resource disk; plans and refusals run on loop devices in test/engine/provision-loop.test.ts',
  'stowage provision apply --device /dev/sdb --fs ext4 --keep-images --yes':
    'formats a spare disk and restarts the host\'s engine; apply runs on loop devices in test/engine/provision-loop.test.ts',
  'stowage migrate export /mnt/new/stowage-store                                              # every image by ID, with its tags, and every named volume':
    'exports the host engine\'s every image and volume; export, import and verify run between two private engines in test/engine/migrate-private-engine.test.ts',
  'stowage migrate import /mnt/new/stowage-store --host unix:///run/docker-new.sock           # load into another engine; what it has is skipped':
    'needs a second engine; runs between two private engines in test/engine/migrate-private-engine.test.ts',
  'stowage migrate verify /mnt/new/stowage-store --host unix:///run/docker-new.sock           # exit 0 when equal, 7 with every difference named':
    'needs a second engine; runs between two private engines in test/engine/migrate-private-engine.test.ts',
  'stowage migrate --from unix:///var/run/docker.sock --to unix:///run/docker-new.sock       # engine to engine, no directory between; rerun to resume':
    'needs a second engine; --from/--to runs between two private engines in test/engine/migrate-private-engine.test.ts',
  'stowage provision rollback --yes':
    'rewrites the host\'s /etc/docker/daemon.json; rollback runs on a temp daemon.json in test/engine/provision-loop.test.ts',
  'stowage provision rollback --engine-restart systemd --release --wipe --yes':
    'restarts the host\'s engine and erases a disk; rollback --release --wipe runs on loop devices in test/engine/provision-release.test.ts',
  'stowage provision plan --device /dev/nvme1n1 --device /dev/nvme2n1 --ephemeral':
    'needs two spare NVMe disks; the RAID0 plan and apply\'s md refusal run on two loop devices in test/engine/provision-raid.test.ts and on a recorded AWS host in test/unit/provision-raid.test.ts',
  'stowage provision plan --device /dev/sdc --driver devicemapper':
    'names a spare disk that does not exist here; the thin-pool plan and apply\'s refusal run in test/unit/provision-thinpool.test.ts',
  'stowage provision plan --device auto --ephemeral --reseed /srv/stowage-store':
    'needs a cloud VM\'s ephemeral disk (this host has none: it exits 4); the re-seed unit is checked with systemd-analyze verify in test/unit/provision-reseed.test.ts',
  'stowage provision plan --device auto --ephemeral':
    'needs a cloud VM\'s ephemeral disk (this host has none: it exits 4); the choice runs on recorded AWS, Azure and GCP device trees and through the CLI on this host in test/unit/provision-plan.test.ts',
  'stowage bench hello hello-smoke:1 -n 2        # a 2 MB static-busybox image: cat one file, exit':
    'pushes, removes and pulls back an image through a registry it starts; the same run on a static-busybox image, judged by the registry\'s /v2 API and docker events, is test/engine/bench-hello.test.ts',
  'stowage bench hello --suite --images web -n 3 --flatten --bandwidth 100mbit --latency 40   # nginx and apache2 over a 100 Mbit/s, 40 ms link':
    'builds the Debian suite (minutes per image, the Debian mirror) and runs for minutes; shaping runs for real in test/engine/bench-hello-shaping.test.ts, the suite in bench/hello.ts',
  'stowage --json bench hello hello-smoke:1 > hello.json && stowage report hello.json -o hello.html   # the table and the timeline as a page':
    'the same run on a static-busybox image (with --flatten), rendered and opened in chromium, is test/engine/report-hello.test.ts',
  'stowage watch --listen 127.0.0.1:9323 --canary stowage-test/busybox:latest --every 60s':
    'runs until Ctrl-C on a fixed port; a real Prometheus scrapes --listen in test/engine/watch-prometheus.test.ts and the canary runs in test/engine/watch-canary.test.ts',
  'stowage watch --once --textfile /var/lib/node_exporter/textfile_collector   # from cron':
    'writes into node_exporter\'s directory, absent here; --once --textfile runs in test/engine/watch-prometheus.test.ts',
};

/** The README's example images, built here from the local busybox (unique tags, removed afterwards). */
const IMAGE_OF: Record<string, string> = {
  'stowage-demo/app:1': uniqueName('stowage-readme/app').replace(/-/g, '') + ':1',
  'stowage-bench/flatten-deep:1': uniqueName('stowage-readme/deep').replace(/-/g, '') + ':1',
};

const DEMO_DOCKERFILE = [
  `FROM ${BUSYBOX_IMAGE}`,
  'COPY app/ /app/',
  'RUN chown -R 1000:1000 /app',
  'RUN head -c 500000 /dev/urandom > /tmp/build.cache && echo built > /built',
  'RUN rm /tmp/build.cache',
].join('\n');
const demoFiles = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`app/data${i}.bin`, Buffer.alloc(20_000 + i, i)]));

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

function sh(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd,
      env: { ...process.env, PATH: `${dirname(STOWAGE_BIN)}:${process.env.PATH}`, NO_COLOR: '1', DOCKER_BUILDKIT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    // on a loaded machine 20 container starts can take over a minute; past the limit the example is stopped as
    // a user would (Ctrl-C to its process group, so bench start removes its containers), then killed
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGINT'); } catch { /* gone */ }
      kill = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 30_000);
    }, 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(kill);
      if (timedOut) reject(new Error(`${command} did not finish in 240 s\n${stderr.slice(-2000)}`));
      else resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The example as run here: the README's images mapped to the local ones, `npm ci` (network, rewrites node_modules) left out. */
function localCommand(command: string): string {
  let c = command.replace(/^npm ci && /, '');
  for (const [from, to] of Object.entries(IMAGE_OF)) c = c.split(from).join(to);
  return c;
}

describe('README examples', { timeout: 1_800_000 }, () => {
  const examples = readmeExamples();
  const made: string[] = [];
  const dirs: string[] = [];

  before(async () => {
    await ensureBusybox();
    for (const tag of Object.values(IMAGE_OF)) {
      made.push(tag);
      await buildImage(tag, DEMO_DOCKERFILE, demoFiles);
    }
  });

  after(async () => {
    // flatten's output is the input's tag with -flat appended
    await removeImages([...made, ...made.map((t) => `${t}-flat`)]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every example is either run here or listed with the reason it is not', () => {
    assert.ok(examples.length >= 20, `found ${examples.length} examples`);
    const unknown = examples.filter((e) => !(e.command in RUN) && !(e.command in NOT_RUN)).map((e) => `README.md:${e.line}: ${e.command}`);
    assert.deepEqual(unknown, [], 'a new README example must be added to RUN or NOT_RUN');
    const stale = [...Object.keys(RUN), ...Object.keys(NOT_RUN)].filter((c) => !examples.some((e) => e.command === c));
    assert.deepEqual(stale, [], 'every planned example is still in the README');
  });

  it('the shape check fails when a shown row, table header or finding id is gone from a run', () => {
    const flatten = examples.find((e) => e.command.startsWith('stowage flatten '))!;
    const shape = promisedShape(flatten.shown);
    for (const label of ['layers', 'tar bytes', 'content bytes', 'verified', 'time']) assert.ok(shape.labels.includes(label), `${label} in ${JSON.stringify(shape.labels)}`);
    const shown = flatten.shown.join('\n');
    assert.deepEqual(missingFromRun(shape, shown, true), []);
    // the issue's case: one figure called "layer bytes" again
    assert.deepEqual(missingFromRun(shape, shown.replace('tar bytes', 'layer bytes'), true), ['tar bytes']);
    const space = promisedShape(examples.find((e) => e.command === 'stowage doctor --only space --verbose')!.shown);
    assert.ok(space.labels.includes('REPOSITORY TAG IMAGE ID SIZE SHARED UNIQUE CONTAINERS'), JSON.stringify(space.labels));
    const lint = promisedShape(examples.find((e) => e.command === 'stowage lint --buildkit')!.shown);
    assert.deepEqual(lint.ids, ['dockerfile/copy-then-chown']);
    assert.deepEqual(missingFromRun(lint, 'WARN  something else [dockerfile/recursive-chown]', true), ['[dockerfile/copy-then-chown]']);
  });

  for (const [command, plan] of Object.entries(RUN)) {
    it(`runs as documented: ${command.replace(/\s+#.*$/, '')}`, async () => {
      let cwd = ROOT;
      if (plan.setup) {
        cwd = mkdtempSync(join(tmpdir(), 'stowage-readme-'));
        dirs.push(cwd);
        plan.setup(cwd);
      }
      const local = localCommand(command);
      let built: string[] = [];
      const run = async () => {
        if (!plan.builds) return sh(local, cwd);
        // `docker build .` leaves an untagged image: run it with -q so its ID can be removed; the docker CLI the
        // other engine tests use (Debian's has BuildKit built in; a standalone client on PATH may lack buildx)
        const r = await sh(local.replace(/docker build \.$/, `${DOCKER_CLI} build -q .`), cwd);
        built = r.stdout.split('\n').filter((l) => /^sha256:[0-9a-f]{64}$/.test(l));
        return r;
      };
      const r = plan.builds || plan.buildCache ? await withBuildCacheCleanup(run) : await run();
      try {
        const files = (plan.files ?? []).map((f) => readFileSync(join(cwd, f), 'utf8'));
        const context = `${local}\nexit ${r.code}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
        assert.doesNotMatch(r.stderr, STACK, `no stack trace\n${context}`);
        assert.doesNotMatch(r.stdout, STACK, `no stack trace\n${context}`);
        assert.ok(r.stdout.trim() !== '' || files.some((f) => f.trim() !== ''), `it printed its result\n${context}`);
        assert.equal(r.code, documentedCode(command, r.stdout, files), `the documented exit code\n${context}`);
        if (plan.builds) assert.equal(built.length, 1, `docker build . built the fixed Dockerfile\n${context}`);
        const example = examples.find((e) => e.command === command)!;
        const shape = promisedShape(example.shown);
        const missing = missingFromRun(shape, `${r.stdout}\n${r.stderr}`, Boolean(plan.sameFindings)).filter((m) => !(m in (plan.hostRows ?? {})));
        assert.deepEqual(missing, [], `README.md:${example.line} shows these rows and ids, the run printed none of them\n${context}`);
      } finally {
        await removeImages(built);
      }
    });
  }

  for (const [command, reason] of Object.entries(NOT_RUN)) {
    it(`parses (not run: ${reason.split(';')[0]}): ${command.replace(/\s+#.*$/, '')}`, async () => {
      const args = command.replace(/\s+#.*$/, '').split(/\s+/).slice(1);
      const command0 = args.findIndex((a) => /^(doctor|lint|analyze|flatten|bench|report|prune|provision|migrate|watch)$/.test(a));
      assert.ok(command0 >= 0, `a command in ${command}`);
      const words = args[command0] === 'bench' || args[command0] === 'provision' || (args[command0] === 'migrate' && !args[command0 + 1]?.startsWith('-')) ? args.slice(0, command0 + 2) : args.slice(0, command0 + 1);
      const help = await runCli([...words, '--help']);
      assert.equal(help.code, 0, `${words.join(' ')} --help: ${help.stderr}`);
      for (const flag of args.filter((a) => a.startsWith('--'))) {
        assert.ok(help.stdout.includes(flag) || flag === '--help', `${flag} is an option of stowage ${words.filter((w) => !w.startsWith('-') && !w.includes(':')).join(' ')}`);
      }
      // the global options before the command parse too: the same words with an unreachable endpoint's
      // answer are an engine error (3), never a usage error (2)
      if (args[0] === '-H') {
        const r = await runCli([...words, '--only', 'engine'], { env: { PATH: process.env.PATH }, timeoutMs: 30_000 });
        assert.notEqual(r.code, 2, `not a usage error: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, STACK);
      }
    });
  }
});

