/**
 * `stowage report`: --json documents (or `--run`: doctor and analyze now) in, one self-contained HTML page
 * out, written atomically so a failed run leaves no half-written page.
 */
import { readFileSync } from 'node:fs';
import { analyzeImage } from '../analyze/analyze-image.js';
import { writeFileAtomic } from '../atomic-file.js';
import { runDoctor } from '../doctor/doctor.js';
import { BadInputError, HostError, UsageError } from '../errors.js';
import { renderReportPage } from '../render/html/report-page.js';
import { parseReportInput, toReportDocument, type ReportDocument } from '../render/html/report-input.js';
import { jsonDocument, renderJson } from '../render/json-document.js';
import type { CliContext } from './cli-context.js';
import type { RegisterCommand } from './main.js';
import { parseDurationFlag, parseNumberFlag } from './option-parsers.js';

interface ReportFlags {
  output: string;
  run?: boolean;
  images?: string;
  probe: boolean;
  window: string;
}

function readInput(file: string): ReportDocument[] {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new BadInputError(`${file}: ${why}`);
  }
  return parseReportInput(text, file === '-' ? 'stdin' : file);
}

/** A document as `--json` would have printed it (undefined fields dropped), checked like a file would be. */
function asDocument(command: 'doctor' | 'analyze', result: object, source: string): ReportDocument {
  return toReportDocument(JSON.parse(JSON.stringify(jsonDocument(command, result))) as unknown, source);
}

/** doctor, then analyze of the `images` largest images it found (by size, as `docker system df -v` lists them). */
async function runNow(c: CliContext, flags: ReportFlags, images: number): Promise<ReportDocument[]> {
  const context = c.capabilityContext('report', { interruptible: true });
  const windowMs = parseDurationFlag(flags.window, '--window', 'ms', { min: 0, max: 60_000 });
  try {
    const report = await runDoctor({ windowMs, probe: flags.probe ? {} : false }, context);
    const docs = [asDocument('doctor', report, 'stowage doctor')];
    const usage = report.facts.usage;
    if (images > 0 && !usage) {
      context.progress.note(`report: no image is analysed, doctor could not list the engine's images${report.facts.engine.reachable ? '' : ' (the engine is unreachable)'}`);
    }
    const largest = [...usage?.images ?? []].sort((a, b) => b.size - a.size || a.id.localeCompare(b.id)).slice(0, images);
    for (const image of largest) {
      const reference = image.repoTags.find((t) => t !== '<none>:<none>') ?? image.id;
      docs.push(asDocument('analyze', await analyzeImage({ reference }, context), `stowage analyze ${reference}`));
    }
    return docs;
  } finally {
    context.progress.end();
  }
}

export const registerReport: RegisterCommand = (program, ctx) => {
  program.command('report')
    .description('one self-contained HTML page with charts, from --json documents of doctor, analyze and bench (start, disk, build, hello), watch snapshots (or --run)')
    .argument('[files...]', '--json documents of doctor, analyze, bench start|disk|build|hello, the NDJSON of watch --json (- reads stdin), or a page report wrote')
    .option('-o, --output <file>', 'where to write the page (- for stdout)', 'report.html')
    .option('--run', 'run doctor now (and analyze with --images) and render the result')
    .option('--images <n>', 'with --run: also analyze the N largest images', '0')
    .option('--no-probe', 'with --run: doctor does not write its sync-write probe into data-root')
    .option('--window <duration>', 'with --run: how long doctor watches disk rates (ms, or 2s)', '1000')
    .addHelpText('after', `
Exit codes: 0 page written, 2 usage error, 4 bad input (a file that is missing, not JSON, truncated, of
another tool, of an unknown schemaVersion; its name, and a watch NDJSON's line, is in the message), 6 the page could not be written.
Nothing is written unless every input renders; the page replaces --output in one rename.

Examples:
  stowage doctor --json > doctor.json; stowage bench start --json -n 50 > start.json
  stowage report doctor.json start.json -o report.html
  stowage watch --json --count 60 > watch.ndjson; stowage report watch.ndjson -o report.html
  stowage report --run --images 3 -o report.html
  stowage report old-report.html -o report.html`)
    .action(async (files: string[], flags: ReportFlags) => {
      const c = ctx();
      const images = parseNumberFlag(flags.images ?? '0', '--images', { integer: true, min: 0, max: 100 });
      if (!flags.run && images > 0) throw new UsageError('--images goes with --run');
      if (!flags.run && files.length === 0) throw new UsageError('report needs --json files to render, or --run', 'stowage report doctor.json -o report.html, or stowage report --run');
      if (!flags.output) throw new UsageError('--output takes a file name, or - for stdout');
      if (c.json && flags.output === '-') throw new UsageError('--json prints its document on stdout: give the page a file with --output');
      const docs = files.flatMap(readInput);
      if (flags.run) docs.push(...await runNow(c, flags, images));
      const html = renderReportPage(docs);
      let bytes: number;
      if (flags.output === '-') {
        c.io.stdout.write(html);
        bytes = Buffer.byteLength(html);
      } else {
        try {
          bytes = await writeFileAtomic(flags.output, html);
        } catch (err) {
          throw new HostError(`cannot write ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            'Check that its directory exists and is writable.', { cause: err });
        }
      }
      const summary = { output: flags.output, bytes, documents: docs.map((d) => ({ source: d.source, kind: d.kind })) };
      if (c.json) c.out(renderJson('report', summary).trimEnd());
      else if (flags.output !== '-') c.progress(`report: wrote ${flags.output} (${bytes} bytes, ${docs.length} ${docs.length === 1 ? 'document' : 'documents'})`);
    });
};
