/** `stowage analyze IMAGE`: flags in, AnalyzeResult out, rendered as text or JSON; thresholds gate CI. */
import { analyzeImage } from '../analyze/analyze-image.js';
import type { PathFigure } from '../analyze/layer-analysis.js';
import { loadThresholds, type AnalyzeThresholds } from '../analyze/thresholds.js';
import { ExitCode, UsageError } from '../errors.js';
import { reachesThreshold } from '../findings.js';
import type { SourceChoice } from '../image/open-image.js';
import { renderAnalyzeText } from '../render/analyze-text.js';
import { renderJson } from '../render/json-document.js';
import { parseSeverity } from './cli-context.js';
import { parseChoiceFlag, parseNumberFlag, parsePercentFlag, parseSizeFlag } from './option-parsers.js';
import type { RegisterCommand } from './main.js';

interface AnalyzeFlags {
  source: string;
  platform?: string;
  paths?: string;
  layer?: string;
  top: string;
  failOn: string;
  config?: string;
  ci?: boolean;
  lowestEfficiency?: string;
  highestWastedBytes?: string;
  highestWastedShare?: string;
  highestMetadataBytes?: string;
  highestLayers?: string;
}

const SOURCES: SourceChoice[] = ['auto', 'engine', 'overlay2', 'export', 'archive', 'oci'];
const FIGURES: PathFigure[] = ['wasted', 'metadata-only', 'deleted', 'added', 'modified'];

export const registerAnalyze: RegisterCommand = (program, ctx, setExit) => {
  program.command('analyze')
    .description('where an image\'s bytes go, layer by layer: waste, chown/chmod copy-ups, depth')
    .argument('<image>', 'image name or ID in the engine, a docker-archive (.tar, .tar.gz), an OCI archive or an OCI layout directory')
    .option('--source <kind>', `where to read it: ${SOURCES.join(', ')}`, 'auto')
    .option('--platform <os/arch>', 'platform to pick from an OCI index (default: this host\'s)')
    .option('--paths <figure>', `list the files behind a figure: ${FIGURES.join(', ')}`)
    .option('--layer <n>', 'with --paths: only this layer (0 is the bottom)')
    .option('--top <n>', 'offenders to list', '10')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above: info, warn, error', 'error')
    .option('--config <file>', 'thresholds from a file: JSON ({"analyze": {...}}) or dive\'s .dive-ci YAML')
    .option('--ci', 'read thresholds from ./.dive-ci when present, as `dive --ci` does')
    .option('--lowest-efficiency <ratio>', 'error below this efficiency (0.95 or 95%)')
    .option('--highest-wasted-bytes <size>', 'error above this many wasted bytes (20MB, 512MiB)')
    .option('--highest-wasted-share <ratio>', 'error above this share of wasted bytes (0.1 or 10%)')
    .option('--highest-metadata-bytes <size>', 'error above this many bytes of metadata-only copies')
    .option('--highest-layers <n>', 'error above this many layers (image/layer-depth warns from 100 regardless)')
    .addHelpText('after', `
Exit codes: 0 ok, 1 findings at or above --fail-on (a threshold crossed is an error), 2 usage error,
3 engine unreachable, 4 bad input (no such image, corrupt or truncated archive, digest mismatch).

Examples:
  stowage analyze myapp:latest
  stowage analyze --lowest-efficiency 0.95 --highest-wasted-bytes 20MB myapp:latest
  stowage analyze --paths metadata-only --layer 3 myapp:latest
  stowage analyze --json image.tar.gz`)
    .action(async (reference: string, flags: AnalyzeFlags) => {
      const c = ctx();
      const failOn = parseSeverity(flags.failOn, '--fail-on');
      const source = parseChoiceFlag(flags.source, '--source', SOURCES);
      const paths = flags.paths === undefined ? undefined : parseChoiceFlag(flags.paths, '--paths', FIGURES);
      const top = parseNumberFlag(flags.top, '--top', { integer: true, min: 0 });
      let layer: number | undefined;
      if (flags.layer !== undefined) {
        layer = parseNumberFlag(flags.layer, '--layer', { integer: true, min: 0 });
        if (paths === undefined) throw new UsageError('--layer goes with --paths');
      }
      const thresholds = loadThresholds({ config: flags.config, diveCi: flags.ci, overrides: thresholdFlags(flags) });
      // 30 s per engine request, as analyze always had (the context's default is 10 s): a busy host's inspect
      const context = c.capabilityContext('analyze', { engineTimeoutMs: 30_000 });
      const result = await analyzeImage({
        reference, source, platform: flags.platform, thresholds, top, paths, pathsLayer: layer, failOn,
      }, context).finally(() => context.progress.end());
      c.out(c.json ? renderJson('analyze', result).trimEnd() : renderAnalyzeText(result, c.style));
      setExit(reachesThreshold(result.findings, result.failOn) ? ExitCode.findings : ExitCode.ok);
    });
};

function thresholdFlags(f: AnalyzeFlags): AnalyzeThresholds {
  const out: AnalyzeThresholds = {};
  if (f.lowestEfficiency !== undefined) out.lowestEfficiency = parsePercentFlag(f.lowestEfficiency, '--lowest-efficiency');
  if (f.highestWastedBytes !== undefined) out.highestWastedBytes = parseSizeFlag(f.highestWastedBytes, '--highest-wasted-bytes');
  if (f.highestWastedShare !== undefined) out.highestWastedShare = parsePercentFlag(f.highestWastedShare, '--highest-wasted-share');
  if (f.highestMetadataBytes !== undefined) out.highestMetadataBytes = parseSizeFlag(f.highestMetadataBytes, '--highest-metadata-bytes');
  if (f.highestLayers !== undefined) out.highestLayers = parseNumberFlag(f.highestLayers, '--highest-layers', { integer: true, min: 1 });
  return out;
}
