/**
 * What "verified" means for one flatten: the checks that ran, each saying what it compared with what and
 * whether that reference is independent of stowage's own reading of the input. A comparison with the union
 * stowage read from the input proves the output faithful to that reading, not the reading faithful to the
 * original; only the engine's own records (its diff IDs, the layer sizes it computed when it unpacked the
 * layers) come from somewhere else.
 */
import { count } from '../units.js';

export type VerificationCheckId = 'output-union' | 'kept-layers' | 'engine-record' | 'engine-output-size' | 'input-layer-sizes' | 'input-layer-digests';

export interface VerificationCheck {
  id: VerificationCheckId;
  /** What was checked. */
  compared: string;
  /** What it was checked against. */
  against: string;
  /** True when the reference was not computed by stowage's reading of the input. */
  independent: boolean;
  /** One line for the text report. */
  summary: string;
}

export interface VerificationReport {
  /** Every check below passed (false with --no-verify, where there are none). */
  verified: boolean;
  /** Paths of the merged filesystem compared. */
  paths: number;
  differences: number;
  checks: VerificationCheck[];
  /** True when at least one check compared stowage's reading of the input with the engine's own record of it. */
  inputCheckedIndependently: boolean;
}

export const CHECKS = {
  outputUnion: (paths: number, content: 'crc32-sent' | 'sha256-read-back'): VerificationCheck => ({
    id: 'output-union',
    compared: `the output's merged filesystem (${count(paths, 'path')}: types, modes, owners, sizes, file mtimes, link targets, devices, xattrs, hardlink groups, and each file's content ${content === 'crc32-sent' ? 'crc32 of the bytes sent to the engine' : 'sha256 read back from the written output'})`,
    against: 'the merged filesystem of the input as stowage read it (content checksums taken from the input\'s bytes)',
    independent: false,
    summary: `merged filesystem equal to the input's as stowage read it (${count(paths, 'path')}; content by ${content === 'crc32-sent' ? 'crc32 of the bytes sent' : 'sha256 read back'})`,
  }),
  keptLayers: (keep: number): VerificationCheck => ({
    id: 'kept-layers',
    compared: `the diff IDs of the ${count(keep, 'kept layer')} in the output`,
    against: 'the input\'s diff IDs',
    independent: false,
    summary: 'kept layers\' diff IDs equal the input\'s',
  }),
  engineRecord: (): VerificationCheck => ({
    id: 'engine-record',
    compared: 'the image ID and the layer diff IDs the engine recorded for the loaded image',
    against: 'the config written, the kept layers\' diff IDs and the sha256 of the bytes sent (the bytes the comparison above read)',
    independent: true,
    summary: 'the engine recorded the sha256 of the bytes sent as the new layer\'s diff ID, and the config written as the image',
  }),
  engineOutputSize: (): VerificationCheck => ({
    id: 'engine-output-size',
    compared: 'the size the engine computed for the new layer when it unpacked it (docker history)',
    against: 'the bytes of the new layer\'s files and symlinks as written',
    independent: true,
    summary: 'the engine sized the new layer as written when it unpacked it',
  }),
  inputLayerSizes: (layers: number): VerificationCheck => ({
    id: 'input-layer-sizes',
    compared: `the bytes of each of the input's ${count(layers, 'layer')} as stowage read them (files, each inode once, with symlink targets or without: the engine sizes a layer either way)`,
    against: 'the layer sizes the engine recorded for the original image (docker history)',
    independent: true,
    summary: `each input layer's size as read equals the engine's record of the original (${count(layers, 'layer')}, docker history)`,
  }),
  inputLayerDigests: (): VerificationCheck => ({
    id: 'input-layer-digests',
    compared: 'the sha256 of each input layer\'s bytes as read',
    against: 'the diff IDs in the image\'s config (the bytes are the original\'s; how stowage parsed them is not checked by this)',
    independent: true,
    summary: 'each input layer\'s sha256 equals its diff ID in the config',
  }),
};

/** The report of a flatten whose checks all passed. */
export function passed(paths: number, checks: VerificationCheck[]): VerificationReport {
  return { verified: true, paths, differences: 0, checks, inputCheckedIndependently: checks.some((c) => c.id === 'input-layer-sizes') };
}

/** The report of `--no-verify`. */
export function skipped(): VerificationReport {
  return { verified: false, paths: 0, differences: 0, checks: [], inputCheckedIndependently: false };
}
