/**
 * One run-to-ready measurement: create the container, start it, and wait until its ready rule holds; the
 * time is from the create request to ready, what a user waits for after the pull. The caller removes the
 * container (it learns the id as soon as it exists, so a failure or Ctrl-C still cleans up).
 */
import type { Clock } from '../../clock.js';
import type { EngineClient } from '../../engine/engine-client.js';
import { StowageError, ExitCode } from '../../errors.js';
import { readyRuleText, type ReadyRule } from './ready-rule.js';

/** The container never became ready: it exited, failed its rule, or ran past the timeout. */
export class NotReadyError extends StowageError {
  constructor(message: string) {
    super(message, ExitCode.badInput, 'Check the ready rule (--ready) against what the image does: `docker run` it by hand.');
  }
}

export interface ReadyRun {
  image: string;
  rule: ReadyRule;
  labels: Record<string, string>;
  timeoutMs: number;
  /** Called with the container's id as soon as it is created. */
  onCreated: (id: string) => void;
  /** Called at the moment the container is started (for traces that must begin before). */
  signal: AbortSignal;
}

export interface ReadyTiming {
  /** Create request to ready. */
  readyMs: number;
  createMs: number;
  startMs: number;
}

/** Polling interval of the http rule and of the container's state while waiting. */
const POLL_MS = 20;

export async function runUntilReady(engine: EngineClient, run: ReadyRun, clock: Clock): Promise<ReadyTiming> {
  const { rule } = run;
  const t0 = clock.monotonic();
  const deadline = t0 + run.timeoutMs;
  const id = await engine.createContainer({
    image: run.image,
    labels: run.labels,
    // a TTY gives one undemultiplexed stream for the log rule
    tty: rule.kind === 'log',
    ...(rule.kind === 'http' ? { publish: [{ containerPort: rule.port, hostIp: '127.0.0.1' }] } : {}),
  });
  run.onCreated(id);
  const tCreated = clock.monotonic();
  const output = rule.kind === 'log' ? watchOutput(await engine.attachContainer(id), new RegExp(rule.pattern, 'm')) : undefined;
  // create and start keep the engine's own limit: a slow engine is measured, and the ready timeout is for the image
  await engine.startContainer(id);
  const tStarted = clock.monotonic();
  const timing = (tReady: number): ReadyTiming => ({ readyMs: tReady - t0, createMs: tCreated - t0, startMs: tStarted - tCreated });
  const late = () => new NotReadyError(`${run.image} was not ready (${readyRuleText(rule)}) within ${Math.round(run.timeoutMs / 1000)} s`);
  switch (rule.kind) {
    case 'exit': {
      const left = deadline - clock.monotonic();
      const exit = await engine.waitContainer(id, Math.max(1, left)).catch((err: unknown) => {
        if (clock.monotonic() >= deadline - 1) throw late();
        throw err;
      });
      const tReady = clock.monotonic();
      if (exit.statusCode !== 0) throw new NotReadyError(`${run.image} exited with ${exit.statusCode}${exit.error ? ` (${exit.error})` : ''}; the exit rule needs 0`);
      return timing(tReady);
    }
    case 'log': {
      for (;;) {
        run.signal.throwIfAborted();
        if (output!.matched()) return timing(output!.matchedAt(clock));
        if (clock.monotonic() >= deadline) throw late();
        if (output!.ended() || !(await isRunning(engine, id))) {
          if (output!.matched()) return timing(output!.matchedAt(clock));
          throw new NotReadyError(`${run.image} stopped before a line matched /${rule.pattern}/; its last output: ${output!.tail()}`);
        }
        await output!.next(POLL_MS * 10);
      }
    }
    case 'http': {
      const detail = await engine.inspectContainer(id);
      const bound = detail.ports?.[rule.port];
      if (!bound) throw new NotReadyError(`the engine published no host port for ${run.image}'s port ${rule.port}`);
      const url = `http://127.0.0.1:${bound.hostPort}${rule.path}`;
      let polls = 0;
      for (;;) {
        run.signal.throwIfAborted();
        const status = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: 'manual' })
          .then(async (r) => { await r.arrayBuffer().catch(() => undefined); return r.status; }, () => 0);
        if (status === 200) return timing(clock.monotonic());
        if (clock.monotonic() >= deadline) throw late();
        // the container's state is checked every tenth poll: an exited server never answers
        if (++polls % 10 === 0 && !(await isRunning(engine, id))) throw new NotReadyError(`${run.image} stopped before ${url} answered 200`);
        await clock.sleep(POLL_MS, run.signal);
      }
    }
  }
}

async function isRunning(engine: EngineClient, id: string): Promise<boolean> {
  return (await engine.inspectContainer(id)).running ?? false;
}

interface OutputWatch {
  matched(): boolean;
  /** When the matching output arrived (monotonic), read from the clock at that moment. */
  matchedAt(clock: Clock): number;
  ended(): boolean;
  tail(): string;
  /** Resolves at the next chunk, the end of the stream, or after `ms`. */
  next(ms: number): Promise<void>;
}

/** Reads the container's output as it arrives and notes the moment a line first matches. */
function watchOutput(stream: NodeJS.ReadableStream, pattern: RegExp): OutputWatch {
  let text = '';
  let done = false;
  let matchTime: number | undefined;
  let wake: (() => void) | undefined;
  stream.on('data', (chunk: Buffer) => {
    if (matchTime === undefined) {
      // the text kept is bounded; the pattern is matched per line (flag m)
      text = (text + chunk.toString('utf8')).slice(-65_536);
      if (pattern.test(text.replace(/\r/g, ''))) matchTime = performance.now();
    }
    wake?.();
  });
  stream.on('end', () => { done = true; wake?.(); });
  stream.on('error', () => { done = true; wake?.(); });
  return {
    matched: () => matchTime !== undefined,
    // the match was seen on the stream's own event; the clock is read now, and the gap since is taken off
    matchedAt: (clock) => clock.monotonic() - (performance.now() - matchTime!),
    ended: () => done,
    tail: () => JSON.stringify(text.replace(/\r/g, '').trim().split('\n').slice(-3).join(' | ').slice(-300)),
    next: (ms) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
      wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
    }),
  };
}
