/**
 * The flattened image's config: everything of the original kept as it was (Env, Cmd, Entrypoint, WorkingDir,
 * User, ExposedPorts, Volumes, Labels, Healthcheck, StopSignal, OnBuild, and every other field, in the
 * original key order), with `rootfs.diff_ids` replaced and history made consistent again: the entries of
 * squashed layers stay but are marked `empty_layer`, and one entry records the flatten and owns the new
 * layer. `created` times are the original's, never the clock's: the same input gives the same image ID.
 */

export interface FlattenRecord {
  /** Layers kept below the squashed one. */
  keep: number;
  /** Layers of the input. */
  before: number;
  /** How the command was asked, for `created_by`. */
  mode: string;
}

/** Rewrites `config` for layers `diffIds` (kept ones first, the squashed one last). */
export function rewriteConfig(config: Record<string, unknown>, diffIds: string[], record: FlattenRecord): Buffer {
  const out: Record<string, unknown> = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const rootfs = (out.rootfs && typeof out.rootfs === 'object' ? out.rootfs : {}) as Record<string, unknown>;
  out.rootfs = { ...rootfs, type: 'layers', diff_ids: diffIds };
  const history = Array.isArray(out.history) ? (out.history as Record<string, unknown>[]) : [];
  const rewritten: Record<string, unknown>[] = [];
  let layer = 0;
  for (const h of history) {
    if (h.empty_layer === true) {
      rewritten.push(h);
      continue;
    }
    if (layer >= record.keep) rewritten.push({ ...h, empty_layer: true });
    else rewritten.push(h);
    layer++;
  }
  // History shorter than the kept layers (imported or hand-made images): pad so entries and layers agree.
  for (; layer < record.keep; layer++) rewritten.push({ created: out.created, created_by: '(layer without history)' });
  const squashed = record.before - record.keep;
  rewritten.push({
    ...(typeof out.created === 'string' ? { created: out.created } : {}),
    created_by: `stowage flatten ${record.mode}`,
    comment: `${squashed} layer${squashed === 1 ? '' : 's'} (${record.keep}..${record.before - 1}) squashed into one; their original history entries are kept, marked empty_layer`,
  });
  out.history = rewritten;
  return Buffer.from(JSON.stringify(out));
}
