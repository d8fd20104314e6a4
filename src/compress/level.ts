/**
 * Compression levels of `snapshot --compress LEVEL` (CONTRACT §2.3 check 8, §3.9): names or
 * digits, case-insensitive. 0 (`none`) means no compression at all.
 */
import { JvsError } from '../errors.js';

const LEVELS = new Map<string, number>([
  ['none', 0],
  ['fast', 1],
  ['default', 6],
  ['max', 9],
  ['0', 0],
  ['1', 1],
  ['6', 6],
  ['9', 9],
]);

function levelError(v: string): JvsError {
  // The doubled phrase is v8.2's (`<context>: <err>` with the same words twice); scripts match it.
  return new JvsError('E_USAGE', `invalid compression level: invalid compression level: ${v} (must be none, fast, default, or max)`);
}

/** The level of a `--compress` value (`none|fast|default|max|0|1|6|9`); otherwise E_USAGE. */
export function parseCompressionLevel(v: string): number {
  const level = LEVELS.get(v.toLowerCase());
  if (level === undefined) throw levelError(v);
  return level;
}

/** Checks a numeric level given to the library (0, 1, 6 or 9); otherwise the same E_USAGE. */
export function checkCompressionLevel(level: number): void {
  if (!LEVELS.has(String(level))) throw levelError(String(level));
}
