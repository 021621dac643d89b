/** `stowage bench hello`: parse flags, build or load the suite or take the user's images, run HelloBench, render the table. */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { renderJson } from '../../render/json-document.js';
import { renderHelloText } from '../../render/hello-text.js';
import { runHelloBench, type HelloImage } from '../../bench/hello/hello-bench.js';
import { ensureSuite } from '../../bench/hello/hello-suite.js';
import { parseReadyRule } from '../../bench/hello/ready-rule.js';
import { parseLinkRate } from '../../bench/hello/link-rate.js';
import type { CliContext } from '../cli-context.js';
import { parseList } from '../cli-context.js';
import { parseDuration, parsePositive } from './bench-flags.js';
import { parseDurationFlag } from '../option-parsers.js';

interface HelloFlags {
  ready: string;
  suite?: boolean;
  images?: string;
  iterations: string;
  registry?: string;
  timeout: string;
  bytesRead: string;
  flatten?: boolean;
  cacheDir?: string;
  bandwidth?: string;
  latency?: string;
}

/** `HOST:PORT` (a name or IPv4 address and a port). */
const REGISTRY = /^[A-Za-z0-9.-]+:\d{1,5}$/;

export function registerHello(bench: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  bench.command('hello')
    .description('HelloBench on a local registry: push, pull from a clean state, run until ready; the share of pull, and of the image read until ready')
    .argument('[image...]', 'your own images (tagged, present in the engine), measured with --ready')
    .option('--ready <rule>', 'when your images are ready: exit (exits 0), log:REGEX (a line of output), http:PORT/PATH (HTTP 200)', 'exit')
    .option('--suite', 'the built-in suite of Debian images (built once with debootstrap and cached)')
    .option('--images <list>', 'with --suite: the names or categories to run (distro, languages, databases, web, other)')
    .option('-n, --iterations <n>', 'repetitions per image', '3')
    .option('--registry <host:port>', 'a running registry to use (default: start docker-registry on 127.0.0.1 and stop it after)')
    .option('--timeout <time>', 'how long one start may take to be ready', '120s')
    .option('--bytes-read <mode>', 'trace the files read until ready with fatrace: auto, on, off', 'auto')
    .option('--flatten', 'also measure a flattened variant of each image (stowage flatten)')
    .option('--cache-dir <dir>', 'where the suite archives are kept (default ~/.cache/stowage/hello)')
    .option('--bandwidth <rate>', 'shape the registry traffic only to this rate each way (100mbit, 1gbit, 20mbps): tc tbf on the registry\'s own network namespace')
    .option('--latency <ms>', 'add this round-trip delay to the registry traffic only (ms, or 40ms; held by stowage\'s forwarder in front of the registry)')
    .action(async (args: string[], flags: HelloFlags) => {
      const c = ctx();
      if (flags.suite && args.length) throw new UsageError('give either your own images or --suite, not both');
      if (!flags.suite && !args.length) throw new UsageError('name the images to measure, or give --suite', 'stowage bench hello myapp:1.0 --ready http:8080/health');
      if (flags.images && !flags.suite) throw new UsageError('--images picks from the suite: give it with --suite');
      if (flags.registry !== undefined && !REGISTRY.test(flags.registry)) throw new UsageError(`--registry takes HOST:PORT, not "${flags.registry}"`);
      if (!['auto', 'on', 'off'].includes(flags.bytesRead)) throw new UsageError(`--bytes-read takes auto, on or off, not "${flags.bytesRead}"`);
      const rule = parseReadyRule(flags.ready);
      const repetitions = parsePositive(flags.iterations, '-n');
      const readyTimeoutMs = parseDuration(flags.timeout, '--timeout');
      if (flags.registry && (flags.bandwidth || flags.latency)) throw new UsageError('--bandwidth and --latency shape the registry stowage starts: leave out --registry');
      const rateBitsPerSec = flags.bandwidth === undefined ? undefined : parseLinkRate(flags.bandwidth);
      const latencyMs = flags.latency === undefined ? undefined : parseDurationFlag(flags.latency, '--latency', 'ms', { min: 0, max: 10_000 });
      const shape = rateBitsPerSec || latencyMs ? { ...(rateBitsPerSec ? { rateBitsPerSec } : {}), ...(latencyMs ? { latencyMs } : {}) } : undefined;
      // Ctrl-C stops after the step in flight; containers, bench-made images and the registry are cleaned up
      const context = c.capabilityContext('bench hello', { interruptible: true, engineTimeoutMs: 600_000 });
      try {
        const images: HelloImage[] = flags.suite
          ? await ensureSuite({ cacheDir: flags.cacheDir ?? join(homedir(), '.cache', 'stowage', 'hello'), pick: parseList(flags.images) }, context)
          : args.map((image) => ({ name: image, image, rule }));
        const result = await runHelloBench({
          images, repetitions, readyTimeoutMs, flatten: Boolean(flags.flatten),
          bytesRead: flags.bytesRead === 'auto' ? 'auto' : flags.bytesRead === 'on',
          ...(flags.registry ? { registry: flags.registry } : {}),
          ...(shape ? { shape } : {}),
        }, context);
        c.out(c.json ? renderJson('bench hello', result) : renderHelloText(result, c.style));
        if (result.interrupted) setExit(ExitCode.interrupted);
        else if (result.suite.failed > 0) setExit(ExitCode.findings);
      } finally {
        context.progress.end();
      }
    });
}
