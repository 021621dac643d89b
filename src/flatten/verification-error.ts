/** A flattened output whose merged filesystem differs from the input's: nothing was written. */
import { ExitCode, StowageError } from '../errors.js';
import type { UnionDifference } from './union-compare.js';

export class VerificationError extends StowageError {
  constructor(message: string, readonly differences: UnionDifference[]) {
    super(message, ExitCode.verificationFailed, 'This is a bug in stowage: nothing was written. Please report it with `stowage analyze --json` of the image.');
  }
}
