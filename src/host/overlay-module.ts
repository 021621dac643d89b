/** The overlay kernel module's defaults; metacopy or redirect_dir on makes Docker give up native diffs. */
import type { HostFs } from './host-fs.js';

export interface OverlayModule {
  metacopy: boolean | undefined;
  redirectDir: boolean | undefined;
}

const flag = (text: string | undefined) => (text === undefined ? undefined : /^(Y|on|follow)/i.test(text.trim()));

export function readOverlayModule(fs: HostFs): OverlayModule {
  const base = '/sys/module/overlay/parameters';
  return { metacopy: flag(fs.readText(`${base}/metacopy`)), redirectDir: flag(fs.readText(`${base}/redirect_dir`)) };
}
