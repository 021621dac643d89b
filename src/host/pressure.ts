/**
 * Pressure stall information (/proc/pressure/io, Linux 4.20+, Documentation/accounting/psi.rst): the
 * cumulative time some task waited on I/O. Being cumulative, it catches waits a 1 Hz look at task
 * states misses.
 */

export interface Pressure {
  /** Microseconds in which at least one task stalled. */
  someTotalUs: number;
  /** Microseconds in which every non-idle task stalled. */
  fullTotalUs: number | undefined;
}

export function parsePressure(text: string | undefined): Pressure | undefined {
  if (!text) return undefined;
  const total = (kind: string) => {
    const m = new RegExp(`^${kind} .*\\btotal=(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const some = total('some');
  return some === undefined ? undefined : { someTotalUs: some, fullTotalUs: total('full') };
}
