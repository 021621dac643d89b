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

/** Decodes the vertexes of one StatusResponse (statuses and logs are skipped). */
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

  /** Feeds one message of the build stream; returns true when it was a BuildKit trace. */
  push(message: Record<string, unknown>): boolean {
    if (message.id !== 'moby.buildkit.trace' || typeof message.aux !== 'string') return false;
    for (const u of decodeStatusResponse(Buffer.from(message.aux, 'base64'))) {
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

  push(message: Record<string, unknown>, atMs: number): void {
    if (typeof message.stream !== 'string') return;
    for (const line of message.stream.split('\n')) {
      const m = /^Step \d+\/\d+ : (.*)$/.exec(line.trim());
      if (m) this.open.push({ name: m[1]!, startedMs: atMs, cached: false });
      else if (/^---> Using cache/.test(line.trim()) && this.open.length) this.open[this.open.length - 1]!.cached = true;
      else if (/^Successfully built /.test(line.trim())) this.endMs = atMs;
    }
  }

  steps(endMs: number): BuildStep[] {
    const end = this.endMs ?? endMs;
    return this.open.map((s, i) => {
      const completedMs = i + 1 < this.open.length ? this.open[i + 1]!.startedMs : end;
      return { name: s.name, internal: false, cached: s.cached, startedMs: s.startedMs, completedMs, durationMs: completedMs - s.startedMs, error: undefined };
    });
  }
}
