/**
 * Per-step timings of a build from the engine's progress stream. BuildKit (`POST /build?version=2`) sends
 * `{"id":"moby.buildkit.trace","aux":BASE64}` where the bytes are a protobuf `moby.buildkit.v1.StatusResponse`
 * (buildkit api/services/control/control.proto): vertexes with name, cached, started and completed times.
 * The classic builder sends `Step N/M : INSTRUCTION` lines, timed here by when each arrives.
 */

export interface BuildStep {
  name: string;
  /** BuildKit's `[internal] load …` bookkeeping vertexes. */
  internal: boolean;
  cached: boolean;
  /** ms since the epoch (BuildKit) or since the build started (classic). */
  startedMs: number | undefined;
  completedMs: number | undefined;
  durationMs: number | undefined;
  error: string | undefined;
}

interface Field {
  no: number;
  wire: number;
  value: number | Uint8Array;
}

/** Minimal protobuf reader: enough for varints and length-delimited fields. */
function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) throw new RangeError('truncated varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new RangeError('truncated field');
      yield { no, wire, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new RangeError(`unsupported wire type ${wire}`);
  }
}

const text = (v: number | Uint8Array) => (typeof v === 'number' ? String(v) : Buffer.from(v).toString('utf8'));

function timestampMs(buf: Uint8Array): number {
  let seconds = 0;
  let nanos = 0;
  for (const f of fields(buf)) {
    if (f.no === 1 && typeof f.value === 'number') seconds = f.value;
    if (f.no === 2 && typeof f.value === 'number') nanos = f.value;
  }
  return seconds * 1000 + nanos / 1e6;
}

export interface VertexUpdate {
  digest: string;
  name: string | undefined;
  cached: boolean;
  startedMs: number | undefined;
  completedMs: number | undefined;
  error: string | undefined;
}

export interface VertexLog {
  digest: string;
  text: string;
}

/** The logs of one StatusResponse (field 3, VertexLog: vertex=1, timestamp=2, stream=3, msg=4). */
export function decodeStatusLogs(bytes: Uint8Array): VertexLog[] {
  const out: VertexLog[] = [];
  for (const f of fields(bytes)) {
    if (f.no !== 3 || typeof f.value === 'number') continue;
    let digest = '';
    let text = '';
    for (const g of fields(f.value)) {
      if (g.no === 1) digest = Buffer.from(g.value as Uint8Array).toString('utf8');
      else if (g.no === 4 && typeof g.value !== 'number') text = Buffer.from(g.value).toString('utf8');
    }
    out.push({ digest, text });
  }
  return out;
}

/** Keeps the last `max` lines of a stream of text chunks (a step's output). */
export class TailLines {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly max = 20) {}

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.add(p);
  }

  tail(): string[] {
    return this.partial ? [...this.lines, this.partial].slice(-this.max) : [...this.lines];
  }

  private add(line: string): void {
    this.lines.push(line.replace(/\r/g, ''));
    if (this.lines.length > this.max) this.lines.shift();
  }
}

/** A step starting or ending, as the build goes. */
export type StepEvent =
  | { kind: 'start'; name: string; atMs: number }
  | { kind: 'end'; name: string; durationMs: number | undefined; cached: boolean };

/** Decodes the vertexes of one StatusResponse (statuses are skipped; logs: decodeStatusLogs). */
export function decodeStatusResponse(bytes: Uint8Array): VertexUpdate[] {
  const out: VertexUpdate[] = [];
  for (const f of fields(bytes)) {
    if (f.no !== 1 || typeof f.value === 'number') continue;
    const v: VertexUpdate = { digest: '', name: undefined, cached: false, startedMs: undefined, completedMs: undefined, error: undefined };
    for (const g of fields(f.value)) {
      if (g.no === 1) v.digest = text(g.value);
      else if (g.no === 3) v.name = text(g.value);
      else if (g.no === 4) v.cached = g.value === 1;
      else if (g.no === 5 && typeof g.value !== 'number') v.startedMs = timestampMs(g.value);
      else if (g.no === 6 && typeof g.value !== 'number') v.completedMs = timestampMs(g.value);
      else if (g.no === 7) v.error = text(g.value) || undefined;
    }
    out.push(v);
  }
  return out;
}

/** Folds BuildKit trace messages into steps, one per vertex, in the order they started. */
export class BuildkitSteps {
  private readonly byDigest = new Map<string, VertexUpdate>();
  private readonly output = new Map<string, TailLines>();
  private readonly announced = new Set<string>();
  private readonly ended = new Set<string>();

  /** Feeds one message of the build stream; returns true when it was a BuildKit trace. */
  push(message: Record<string, unknown>): boolean {
    if (message.id !== 'moby.buildkit.trace' || typeof message.aux !== 'string') return false;
    const bytes = Buffer.from(message.aux, 'base64');
    for (const log of decodeStatusLogs(bytes)) {
      let t = this.output.get(log.digest);
      if (!t) this.output.set(log.digest, (t = new TailLines()));
      t.push(log.text);
    }
    for (const u of decodeStatusResponse(bytes)) {
      const prev = this.byDigest.get(u.digest);
      this.byDigest.set(u.digest, prev ? {
        digest: u.digest,
        name: u.name ?? prev.name,
        cached: prev.cached || u.cached,
        startedMs: prev.startedMs ?? u.startedMs,
        completedMs: u.completedMs ?? prev.completedMs,
        error: u.error ?? prev.error,
      } : u);
    }
    return true;
  }

  /** Steps that started or ended since the last call (not BuildKit's `[internal]` bookkeeping). */
  events(): StepEvent[] {
    const out: StepEvent[] = [];
    for (const [digest, v] of this.byDigest) {
      if (!v.name || v.name.startsWith('[internal]')) continue;
      if (v.startedMs !== undefined && !this.announced.has(digest) && v.completedMs === undefined) {
        this.announced.add(digest);
        out.push({ kind: 'start', name: v.name, atMs: v.startedMs });
      }
      if (v.completedMs !== undefined && !this.ended.has(digest)) {
        this.ended.add(digest);
        out.push({ kind: 'end', name: v.name, durationMs: v.startedMs !== undefined ? Math.max(0, v.completedMs - v.startedMs) : undefined, cached: v.cached });
      }
    }
    return out;
  }

  /** The step that failed, with the last lines it printed. */
  failure(): { name: string; error: string; output: string[] } | undefined {
    for (const [digest, v] of this.byDigest) {
      if (v.error && v.name) return { name: v.name, error: v.error, output: this.output.get(digest)?.tail() ?? [] };
    }
    return undefined;
  }

  steps(): BuildStep[] {
    return [...this.byDigest.values()]
      .filter((v) => v.name)
      .map((v) => ({
        name: v.name!,
        internal: v.name!.startsWith('[internal]'),
        cached: v.cached,
        startedMs: v.startedMs,
        completedMs: v.completedMs,
        durationMs: v.startedMs !== undefined && v.completedMs !== undefined ? Math.max(0, v.completedMs - v.startedMs) : undefined,
        error: v.error,
      }))
      .sort((a, b) => (a.startedMs ?? Infinity) - (b.startedMs ?? Infinity));
  }
}

/** Times the classic builder's `Step N/M : …` lines by their arrival, each step ending when the next starts. */
export class ClassicSteps {
  private readonly open: { name: string; startedMs: number; cached: boolean }[] = [];
  private endMs: number | undefined;
  private output = new TailLines();

  /** Feeds one message; returns the steps that started or ended with it. */
  push(message: Record<string, unknown>, atMs: number): StepEvent[] {
    const events: StepEvent[] = [];
    if (typeof message.stream !== 'string') return events;
    for (const line of message.stream.split('\n')) {
      const m = /^Step \d+\/\d+ : (.*)$/.exec(line.trim());
      if (m) {
        const prev = this.open[this.open.length - 1];
        if (prev) events.push({ kind: 'end', name: prev.name, durationMs: atMs - prev.startedMs, cached: prev.cached });
        this.open.push({ name: m[1]!, startedMs: atMs, cached: false });
        this.output = new TailLines();
        events.push({ kind: 'start', name: m[1]!, atMs });
        continue;
      }
      if (/^---> Using cache/.test(line.trim()) && this.open.length) this.open[this.open.length - 1]!.cached = true;
      else if (/^Successfully built /.test(line.trim())) {
        this.endMs = atMs;
        const prev = this.open[this.open.length - 1];
        if (prev) events.push({ kind: 'end', name: prev.name, durationMs: atMs - prev.startedMs, cached: prev.cached });
      } else if (line.trim() && !/^\s*---> /.test(line)) this.output.push(`${line}\n`);
    }
    return events;
  }

  /** The step running when the build failed, with the last lines it printed. */
  failure(error: string): { name: string; error: string; output: string[] } | undefined {
    const last = this.open[this.open.length - 1];
    return last ? { name: last.name, error, output: this.output.tail() } : undefined;
  }

  steps(endMs: number): BuildStep[] {
    const end = this.endMs ?? endMs;
    return this.open.map((s, i) => {
      const completedMs = i + 1 < this.open.length ? this.open[i + 1]!.startedMs : end;
      return { name: s.name, internal: false, cached: s.cached, startedMs: s.startedMs, completedMs, durationMs: completedMs - s.startedMs, error: undefined };
    });
  }
}
