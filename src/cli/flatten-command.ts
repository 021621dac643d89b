/** `stowage flatten IMAGE`: flags in, FlattenResult out, rendered as text or JSON. */
import { UsageError } from '../errors.js';
import { flattenImage, type FlattenOutput } from '../flatten/flatten-image.js';
import type { FlattenMode } from '../flatten/flatten-plan.js';
import type { SourceChoice } from '../image/open-image.js';
import { renderFlattenText } from '../render/flatten-text.js';
import { renderJson } from '../render/json-document.js';
import type { RegisterCommand } from './main.js';
import { parseChoiceFlag, parseNumberFlag } from './option-parsers.js';

interface FlattenFlags {
  tag?: string;
  output?: string;
  oci?: string;
  keepBase?: boolean;
  base?: string;
  fromLayer?: string;
  force?: boolean;
  verify: boolean;
  source: string;
  platform?: string;
  spoolDir?: string;
}

const SOURCES: SourceChoice[] = ['auto', 'engine', 'overlay2', 'export', 'archive', 'oci'];

export const registerFlatten: RegisterCommand = (program, ctx, setExit) => {
  program.command('flatten')
    .description('rewrite an image into fewer layers, and check the result (each check says against what)')
    .argument('<image>', 'image name or ID in the engine, a docker-archive (.tar, .tar.gz), an OCI archive or an OCI layout directory')
    .option('-t, --tag <name>', 'tag of the result (default: the input\'s tag with -flat added)')
    .option('-o, --output <file>', 'write a docker-archive file instead of loading into the engine')
    .option('--oci <dir>', 'write an OCI image layout directory instead of loading into the engine')
    .option('--keep-base', 'keep the base image\'s layers, squash the rest (base found in the engine, or --base)')
    .option('--base <image>', 'with --keep-base: the base image (engine name or archive)')
    .option('--from-layer <n>', 'keep layers below N (0 is the bottom), squash N and up')
    .option('--force', 'replace an existing tag, file or directory')
    .option('--no-verify', 'skip every check of the result (the output\'s merged filesystem, the engine\'s records)')
    .option('--source <kind>', `where to read the input: ${SOURCES.join(', ')}`, 'auto')
    .option('--platform <os/arch>', 'platform to pick from an OCI index (default: this host\'s)')
    .option('--spool-dir <dir>', 'where to spool content read from a stream (default: the temp directory)')
    .addHelpText('after', `
Exit codes: 0 flattened (and verified), 2 usage error, 3 engine unreachable, 4 bad input (no such image
or file, not an image reference, corrupt archive), 5 refused (the tag, file or directory exists; pass
--force), 6 host failure (disk full),
7 verification failed (nothing was written), 70 internal error.

Examples:
  stowage flatten myapp:latest                      # loads myapp:latest-flat
  stowage flatten --keep-base -t myapp:slim myapp:latest
  stowage flatten --from-layer 3 -o myapp-flat.tar myapp:latest
  stowage flatten --oci ./myapp-oci image.tar`)
    .action(async (reference: string, flags: FlattenFlags) => {
      const c = ctx();
      const source = parseChoiceFlag(flags.source, '--source', SOURCES);
      if (flags.output && flags.oci) throw new UsageError('choose one of --output and --oci');
      if (flags.base && !flags.keepBase) throw new UsageError('--base goes with --keep-base');
      if (flags.keepBase && flags.fromLayer !== undefined) throw new UsageError('choose one of --keep-base and --from-layer');
      let mode: FlattenMode = { kind: 'all' };
      if (flags.keepBase) mode = { kind: 'keep-base', base: flags.base };
      if (flags.fromLayer !== undefined) {
        mode = { kind: 'from-layer', layer: parseNumberFlag(flags.fromLayer, '--from-layer', { integer: true, min: 0 }) };
      }
      const output: FlattenOutput = flags.output ? { kind: 'docker-archive', path: flags.output, tag: flags.tag }
        : flags.oci ? { kind: 'oci', dir: flags.oci, tag: flags.tag } : { kind: 'engine', tag: flags.tag };
      // a live line on a terminal (steps, bytes of the squashed layer, elapsed, ETA), cleared at the end;
      // 30 s per engine request, as flatten always had (the context's default is 10 s)
      const context = c.capabilityContext('flatten', { engineTimeoutMs: 30_000 });
      const result = await flattenImage({
        reference, mode, output, force: flags.force ?? false, verify: flags.verify,
        source, platform: flags.platform, spoolDir: flags.spoolDir,
      }, context).finally(() => context.progress.end());
      c.out(c.json ? renderJson('flatten', result).trimEnd() : renderFlattenText(result, c.style));
      setExit(0);
    });
};
