/** A build `bench build` ran failed: exit 8, with the failing step and the last lines of its output. */
import { ExitCode, StowageError } from '../errors.js';

export class BuildFailedError extends StowageError {
  constructor(
    message: string,
    /** The step that failed (`[3/5] RUN make`), when the builder said which. */
    readonly step: string | undefined,
    /** The last lines that step printed, oldest first. */
    readonly output: string[],
  ) {
    super(message, ExitCode.buildFailed, 'Fix the Dockerfile (the step\'s output is above), or build it with docker build to see all of it.');
  }
}
