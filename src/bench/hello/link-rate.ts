/** `--bandwidth` rates as tc writes them (`100mbit`, `1gbit`, `500kbit`, `10mbps` in bytes), in bits per second. */
import { UsageError } from '../../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9,
  bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9,
};

/** Bits per second for a tc-style rate; a bare number is bits per second. */
export function parseLinkRate(text: string, flag = '--bandwidth'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = (m?.[2] || 'bit').toLowerCase();
  const factor = UNITS[unit];
  const value = m ? Number(m[1]) * (factor ?? 0) : 0;
  if (!m || !factor || !(value >= 8_000) || value > 100e9) {
    throw new UsageError(`${flag} takes a rate like 100mbit, 1gbit or 20mbps (at least 8kbit), not "${text}"`);
  }
  return value;
}
