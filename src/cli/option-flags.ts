/** The library's errors name its options as a caller writes them; on the command line they become flags. */

/** Library wording (a code span in an error's message or hint) and the flag that sets it. */
const OPTION_FLAGS: readonly (readonly [string, string])[] = [
  ['`force: true`', '--force'],
  ['`output.tag`', '--tag'],
  ["`source: 'export'`", '--source export'],
  ['`mode.layer`', '--from-layer'],
  ['`mode.base`', '--base'],
  ['`pathsLayer`', '--layer'],
  ['`platform`', '--platform'],
  ["`tool: 'built-in'`", '--tool built-in'],
  ['`image`', '--image'],
  ['`concurrency`', '--concurrency'],
  ['`iterations`', '-n'],
  ['`inContainer`', '--in-container'],
  ['`path`', 'PATH'],
  ['`host`', '--host'],
  ['`context`', '--context'],
  ['`confirmNamedVolumes: true`', '--yes'],
  ["`volumes: 'anonymous'`", '--volumes anonymous'],
  ['`ephemeral`', '--ephemeral'],
  ['`engine: systemd`', '--engine-restart systemd'],
];

/** Rewrites library option names in an error's text into the CLI's flags. */
export function flagWording(text: string): string;
export function flagWording(text: string | undefined): string | undefined;
export function flagWording(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let out = text;
  for (const [library, flag] of OPTION_FLAGS) out = out.split(library).join(flag);
  return out;
}
