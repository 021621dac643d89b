/** Facts for doctor's unit tests: an unreachable engine and nothing measured, for each test to fill in. */
import type { DoctorFacts } from '../../src/doctor/facts.js';

export function baseFacts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    engine: { reachable: false, endpoint: 'unix:///var/run/docker.sock', failure: 'not-running', message: 'm', hint: 'h' },
    daemonConfig: { found: false, dataRoot: '/var/lib/docker', storageDriver: undefined, parseError: undefined },
    dataRoot: '/var/lib/docker', dataRootSource: 'default', skipped: [], ...over,
  };
}
