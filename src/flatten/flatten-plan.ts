/**
 * Which layers a flatten keeps and which it squashes: everything into one layer, the base image's layers kept
 * (the base named with `--base`, or found as the image in the engine whose layers and history the image
 * starts with), or everything from layer N up.
 */
import { BadInputError, UsageError } from '../errors.js';
import type { HistoryEntry, ImageIndex } from '../image/image-index.js';
import { count } from '../units.js';

export type FlattenMode =
  | { kind: 'all' }
  | { kind: 'keep-base'; base?: string | undefined }
  | { kind: 'from-layer'; layer: number };

export interface BaseCandidate {
  name: string;
  diffIds: string[];
  /** `created_by` of every history entry, bottom to top, when known. */
  createdBy?: string[] | undefined;
}

export interface FlattenPlan {
  /** Layers kept as they are, from the bottom; the rest become one layer. */
  keep: number;
  /** The base image, when the mode looked for one. */
  base?: string | undefined;
  /** The mode as a command line would say it (recorded in the new history entry). */
  modeText: string;
}

/** True when `prefix` is a proper prefix of `list`. */
function startsWith<T>(list: T[], prefix: T[]): boolean {
  return prefix.length < list.length && prefix.every((x, i) => list[i] === x);
}

/**
 * The base among `candidates`: the one with the most layers whose diff IDs start the image's diff IDs and,
 * when both histories are known, whose history starts the image's history.
 */
export function pickBase(image: { diffIds: string[]; history: HistoryEntry[] }, candidates: BaseCandidate[]): BaseCandidate | undefined {
  const createdBy = image.history.map((h) => h.createdBy);
  let best: BaseCandidate | undefined;
  for (const c of candidates) {
    if (!c.diffIds.length || !startsWith(image.diffIds, c.diffIds)) continue;
    if (c.createdBy && c.createdBy.length && createdBy.length && !(c.createdBy.length <= createdBy.length && c.createdBy.every((x, i) => createdBy[i] === x))) continue;
    if (!best || c.diffIds.length > best.diffIds.length) best = c;
  }
  return best;
}

export interface PlanDeps {
  /** Diff IDs (and history) of the image named by `--base`. */
  baseByName?: (name: string) => Promise<BaseCandidate>;
  /** Images that could be the base (e.g. every image in the engine). */
  candidates?: () => Promise<BaseCandidate[]>;
}

export async function planFlatten(image: ImageIndex, mode: FlattenMode, deps: PlanDeps = {}): Promise<FlattenPlan> {
  const n = image.layers.length;
  if (n === 0) throw new BadInputError(`${image.source.reference} has no layers to flatten`);
  switch (mode.kind) {
    case 'all':
      return { keep: 0, modeText: '(all layers)' };
    case 'from-layer': {
      if (!Number.isInteger(mode.layer) || mode.layer < 0 || mode.layer >= n) {
        throw new UsageError(`\`mode.layer\` takes 0..${n - 1} for this image (${count(n, 'layer')}), not ${mode.layer}`);
      }
      return { keep: mode.layer, modeText: `--from-layer ${mode.layer}` };
    }
    case 'keep-base': {
      const diffIds = image.layers.map((l) => l.diffId);
      if (mode.base) {
        if (!deps.baseByName) throw new UsageError('`mode.base` needs an engine or an archive to read the base from');
        const base = await deps.baseByName(mode.base);
        if (!startsWith(diffIds, base.diffIds)) {
          throw new BadInputError(`${mode.base} is not the base of ${image.source.reference}: its ${base.diffIds.length} layers are not the first layers of the image`,
            'Name the image the Dockerfile\'s FROM line used, or set `mode.layer` (the layer to squash from).');
        }
        return { keep: base.diffIds.length, base: mode.base, modeText: '--keep-base' };
      }
      const found = deps.candidates ? pickBase({ diffIds, history: image.history }, await deps.candidates()) : undefined;
      if (!found) {
        throw new BadInputError(`no base image found for ${image.source.reference}: no image in the engine has the same first layers and history`,
          'Name it with `mode.base`, or set `mode.layer` (the layer to squash from).');
      }
      return { keep: found.diffIds.length, base: found.name, modeText: '--keep-base' };
    }
  }
}
