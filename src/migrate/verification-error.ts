/** The store or the target does not match what the store's manifest says (exit code 7). */
import { ExitCode, StowageError } from '../errors.js';

export class VerificationFailedError extends StowageError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.verificationFailed, hint);
  }
}
