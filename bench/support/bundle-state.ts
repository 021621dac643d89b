/**
 * Whether bin/stowage runs the bundle: it runs dist/stowage.cjs only when that is newer than tsc's output
 * (`npm run build` makes both, and the bundle's code cache). A bench that times bin/stowage after a plain
 * `npx tsc -p .` measures tsc's modules instead, whose start is longer (a flatten's: 0.17 s against 0.09 s on
 * 2026-12-03), so it says so before it measures.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface BundleState {
  /** dist/stowage.cjs. */
  bundle: string;
  /** bin/stowage will run it. */
  bundled: boolean;
  /** What to tell the reader, when the bundle or its code cache will not be used. */
  note: string | undefined;
}

export function bundleState(root = ROOT): BundleState {
  const bundle = join(root, 'dist/stowage.cjs');
  const bundled = existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(join(root, 'dist/src/cli/main.js')).mtimeMs;
  const note = !bundled
    ? 'note: dist/stowage.cjs is missing or older than tsc\'s output, so bin/stowage runs the modules (a slower start): run npm run build first'
    : !existsSync(`${bundle}.cache`) ? 'note: no dist/stowage.cjs.cache (npm run code-cache): bin/stowage compiles the bundle' : undefined;
  return { bundle, bundled, note };
}

/** Prints the note of bundleState, if any. */
export function noteBundleState(): void {
  const { note } = bundleState();
  if (note) console.log(note);
}
