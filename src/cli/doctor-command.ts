/** `stowage doctor`: flags in, DoctorReport out, rendered as text or JSON. */
import { runDoctor } from '../doctor/doctor.js';
import { CHECK_GROUPS, type CheckGroup } from '../doctor/facts.js';
import { renderDoctorText } from '../render/doctor-text.js';
import { renderJson } from '../render/json-document.js';
import { ExitCode } from '../errors.js';
import { reachesThreshold } from '../findings.js';
import { parseList, parseSeverity } from './cli-context.js';
import { parseDurationFlag } from './option-parsers.js';
import type { RegisterCommand } from './main.js';

interface DoctorFlags {
  failOn: string;
  only?: string;
  skip?: string;
  probe: boolean;
  window: string;
  verbose?: boolean;
}

export const registerDoctor: RegisterCommand = (program, ctx, setExit) => {
  program.command('doctor')
    .description('diagnose this host\'s Docker storage in one run: every finding has evidence and a fix')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above: info, warn, error', 'error')
    .option('--only <groups>', `run only these check groups (comma-separated: ${CHECK_GROUPS.join(', ')})`)
    .option('--skip <groups>', 'skip these check groups')
    .option('--no-probe', 'do not write the 10 MiB sync-write probe into data-root')
    .option('--window <duration>', 'how long to watch disk rates and iowait (ms, or 2s)', '1000')
    .option('-v, --verbose', 'also print the per-image space table (as `docker system df -v`) and every container\'s log')
    .addHelpText('after', `
Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage error,
70 internal error (a bug; STOWAGE_DEBUG=1 shows the stack trace).
Doctor still runs its host checks when the engine is unreachable, and reports why as a finding.

Examples:
  stowage doctor
  stowage doctor --json --fail-on warn
  stowage doctor --only disk,io
  stowage doctor --only space --verbose`)
    .action(async (flags: DoctorFlags) => {
      const c = ctx();
      const failOn = parseSeverity(flags.failOn, '--fail-on');
      const windowMs = parseDurationFlag(flags.window, '--window', 'ms', { min: 0, max: 60_000 });
      const context = c.capabilityContext('doctor');
      const report = await runDoctor({
        only: parseList(flags.only) as CheckGroup[],
        skip: parseList(flags.skip) as CheckGroup[],
        windowMs,
        probe: flags.probe ? {} : false,
        failOn,
      }, context).finally(() => context.progress.end());
      if (c.json) {
        c.out(renderJson('doctor', report).trimEnd());
      } else {
        c.out(renderDoctorText(report, c.style, { verbose: flags.verbose ?? false }));
      }
      setExit(reachesThreshold(report.findings, report.failOn) ? ExitCode.findings : ExitCode.ok);
    });
};
