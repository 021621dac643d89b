/** `stowage doctor`: diagnose a host's Docker storage in one run; every finding has evidence and a fix. */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { capabilityContext, type CapabilityContext } from '../context.js';
import type { ConnectOptions } from '../engine/dockerode-engine.js';
import type { EngineClient } from '../engine/engine-client.js';
import { isLocalEndpoint, type Endpoint } from '../engine/endpoint.js';
import { EngineUnreachableError, UsageError } from '../errors.js';
import { countBySeverity, sortFindings, type Finding, type Severity } from '../findings.js';
import { readDaemonConfig } from '../host/daemon-config.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { sampleHost } from '../host/host-sample.js';
import { readVirtualisation } from '../host/virtualisation.js';
import type { SyncWriteOptions } from '../host/sync-write-probe.js';
import { clutterChecks } from './clutter-checks.js';
import { diskChecks } from './disk-checks.js';
import { engineChecks, engineReachability } from './engine-checks.js';
import { CHECK_GROUPS, type CheckGroup, type DoctorFacts, type EngineFacts } from './facts.js';
import { diskFacts, imageDepths, ioFacts, logFacts, orphanFacts } from './gather.js';
import { imageChecks } from './image-checks.js';
import { imageSpaceRows } from './image-space.js';
import { ioChecks } from './io-checks.js';
import { spaceChecks } from './space-checks.js';
import { SCHEMA_VERSION } from '../version.js';

export interface DoctorOptions {
  connect?: ConnectOptions;
  /** Use this engine instead of connecting (library callers, tests). */
  engine?: EngineClient;
  only?: CheckGroup[];
  skip?: CheckGroup[];
  /** Length of the window over which disk rates and iowait are measured. */
  windowMs?: number;
  /** Options of the sync-write probe; false leaves data-root untouched. */
  probe?: SyncWriteOptions | false;
  hostFs?: HostFs;
  /** The severity from which a finding fails the run (default error); the report says it as `failOn`. */
  failOn?: Severity;
}

/** doctor's report, which is also its `--json` document's `result` (schema/doctor.schema.json). */
export interface DoctorReport {
  schemaVersion: typeof SCHEMA_VERSION;
  groups: CheckGroup[];
  findings: Finding[];
  /** Findings per severity. */
  summary: Record<Severity, number>;
  /** Findings at or above this fail the run (the CLI exits 1). */
  failOn: Severity;
  facts: DoctorFacts;
  durationMs: number;
}

export function selectGroups(only: readonly string[] = [], skip: readonly string[] = []): CheckGroup[] {
  for (const g of [...only, ...skip]) {
    if (!(CHECK_GROUPS as readonly string[]).includes(g)) {
      throw new UsageError(`unknown check group "${g}"`, `Check groups are: ${CHECK_GROUPS.join(', ')}.`);
    }
  }
  const base = only.length ? CHECK_GROUPS.filter((g) => only.includes(g)) : [...CHECK_GROUPS];
  return base.filter((g) => !skip.includes(g));
}

/**
 * Diagnoses the host's Docker storage: gathers engine and host facts, then runs the selected checks on them.
 * Without a context, one is made from `options.connect` / `options.engine`.
 */
export async function runDoctor(
  options: DoctorOptions = {},
  context: CapabilityContext = capabilityContext({ connect: options.connect, engine: options.engine }),
): Promise<DoctorReport> {
  const now = () => context.clock.monotonic();
  const wall = () => context.clock.now();
  const fs = options.hostFs ?? liveHostFs;
  const progress = (step: string) => context.progress.update({ step });
  const groups = selectGroups(options.only, options.skip);
  const has = (g: CheckGroup) => groups.includes(g);
  const started = now();
  const windowMs = options.windowMs ?? 1000;
  const before = has('io') ? sampleHost(fs, now()) : undefined;

  progress('connecting to the engine');
  const { engine, facts: engineFacts } = await reachEngine(context);
  const daemonConfig = readDaemonConfig(fs);
  const endpoint = engine?.endpoint ?? context.endpoint();
  const local = isLocalEndpoint(endpoint);
  // this host's daemon.json says nothing about another host's engine
  const dataRoot = engineFacts.reachable ? engineFacts.info.dockerRootDir : local ? daemonConfig.dataRoot : '';
  const facts: DoctorFacts = {
    engine: engineFacts,
    daemonConfig,
    dataRoot,
    dataRootSource: engineFacts.reachable ? 'engine' : !local ? 'unknown' : daemonConfig.found ? 'daemon.json' : 'default',
    skipped: [],
  };

  const hostReason = hostChecksUnavailable(endpoint, dataRoot, engineFacts);
  const engineReason = engine ? undefined : 'the engine is unreachable';
  const skip = (group: CheckGroup, reason: string | undefined) => {
    if (has(group) && reason) facts.skipped.push({ group, reason });
    return has(group) && !reason;
  };
  skip('disk', hostReason);
  const runIo = skip('io', hostReason);
  // the engine checks use the filesystem probe too (XFS ftype), and io needs the device chain
  const needDisk = !hostReason && (has('disk') || has('io') || has('engine'));
  const runSpace = skip('space', engineReason);
  const runClutter = skip('clutter', engineReason);
  const runImages = skip('images', engineReason);

  progress('reading the engine and the disk under data-root');
  // one failing measurement (a hung engine call, an unreadable directory) must not sink the others
  const attempt = <T>(group: CheckGroup, what: string, work: Promise<T>): Promise<T | undefined> =>
    work.catch((err: unknown) => {
      facts.skipped.push({ group, reason: `${what} failed: ${(err as Error).message}` });
      return undefined;
    });
  const logDefaults = { driver: engineFacts.reachable ? engineFacts.info.loggingDriver : daemonConfig.logDriver, opts: daemonConfig.logOpts };
  const [disk, usage, containers, depths, orphans, logs] = await Promise.all([
    needDisk ? attempt('disk', 'reading the device under data-root', diskFacts(fs, dataRoot)) : undefined,
    engine && (runSpace || runClutter) ? attempt('space', 'the engine\'s disk usage', engine.diskUsage()) : undefined,
    engine && runClutter ? attempt('clutter', 'listing containers', engine.listContainers({ all: true })) : undefined,
    engine && runImages ? attempt('images', 'inspecting images', imageDepths(engine)) : undefined,
    engine && runSpace && !hostReason && engineFacts.reachable && engineFacts.info.storageDriver === 'overlay2'
      ? attempt('space', 'looking for orphaned layer directories', orphanFacts(dataRoot, wall())) : undefined,
    // log sizes come from the host's files, so only for an engine on this host
    engine && runSpace && !hostReason ? attempt('space', 'measuring container logs', logFacts(engine, dataRoot, logDefaults)) : undefined,
  ]);
  facts.logs = logs;
  facts.disk = disk;
  facts.usage = usage;
  if (usage) facts.imageSpace = imageSpaceRows(usage);
  facts.containers = containers;
  facts.imageDepths = depths;
  facts.orphans = orphans;

  if (runIo && before) {
    const wait = started + windowMs - now();
    if (wait > 0) await context.clock.sleep(wait, context.signal);
    const after = sampleHost(fs, now());
    progress('probing sync writes in data-root');
    facts.virtualisation = readVirtualisation(fs);
    facts.io = await ioFacts(before, after, disk, dataRoot, options.probe ?? {}, fs.listDir('/sys/block'));
  }

  const findings = [
    ...engineReachability(engineFacts),
    ...(has('engine') ? engineChecks(facts) : []),
    ...(has('disk') ? diskChecks(facts) : []),
    ...(has('io') ? ioChecks(facts) : []),
    ...(has('space') ? spaceChecks(facts) : []),
    ...(has('clutter') ? clutterChecks(facts, wall()) : []),
    ...(has('images') ? imageChecks(facts) : []),
  ];
  const sorted = sortFindings(findings);
  return {
    schemaVersion: SCHEMA_VERSION, groups, findings: sorted, summary: countBySeverity(sorted), failOn: options.failOn ?? 'error',
    facts, durationMs: now() - started,
  };
}

async function reachEngine(context: CapabilityContext): Promise<{ engine: EngineClient | undefined; facts: EngineFacts }> {
  try {
    const engine = await context.engine();
    const [version, info] = await Promise.all([engine.version(), engine.info()]);
    return { engine, facts: { reachable: true, endpoint: engine.endpoint.url, apiVersion: engine.apiVersion, version, info } };
  } catch (err) {
    if (!(err instanceof EngineUnreachableError)) throw err;
    const endpoint = context.endpoint().url;
    return {
      engine: undefined,
      facts: { reachable: false, endpoint, failure: err.failure, message: err.message, hint: err.hint ?? '' },
    };
  }
}

/** Host checks describe this machine, so they only make sense for a local engine whose data-root we can see. */
function hostChecksUnavailable(endpoint: Endpoint, dataRoot: string, engine: EngineFacts): string | undefined {
  if (!isLocalEndpoint(endpoint)) {
    return `the engine is remote (${endpoint.url}); run doctor on its host for disk and I/O checks`;
  }
  // a loopback TCP or ssh port may be forwarded to another machine (an ssh tunnel, a VM's published port)
  const self = hostname();
  if (endpoint.transport.kind !== 'unix' && engine.reachable && engine.info.name && engine.info.name.toLowerCase() !== self.toLowerCase()) {
    return `${endpoint.url} leads to the engine of host "${engine.info.name}", not this host ("${self}"): a forwarded port; run doctor on that host for disk and I/O checks`;
  }
  if (!existsSync(dataRoot)) return `data-root ${dataRoot} does not exist on this host`;
  return undefined;
}
