/**
 * Text formatting shared by the commands: SHORT ids, `YYYY-MM-DD HH:MM` dates (UTC, from a
 * descriptor's `created_at`, never through JS Date), lines holding raw file names, and the
 * Added/Removed/Modified sections of `diff` and `status`.
 */
import { formatTimestamp, parseTimestamp, ZERO_TIME } from '../encoding/timestamp.js';
import type { TextLine } from './output.js';

/** SHORT: the first 8 characters of a snapshot id. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `YYYY-MM-DD HH:MM` in UTC; a timestamp that does not parse shows its first 16 characters. */
export function formatDate(timestamp: string): string {
  const parsed = parseTimestamp(timestamp);
  const utc = parsed === undefined ? timestamp : formatTimestamp(parsed.ns);
  return utc.slice(0, 16).replace('T', ' ');
}

/** `YYYY-MM-DD HH:MM:SS` in UTC (diff's `From:`/`To:`); like formatDate with the seconds. */
export function formatDateTime(timestamp: string): string {
  const parsed = parseTimestamp(timestamp);
  const utc = parsed === undefined ? timestamp : formatTimestamp(parsed.ns);
  return utc.slice(0, 19).replace('T', ' ');
}

const ZERO_NS = parseTimestamp(ZERO_TIME)!.ns;

/** Whether `timestamp` is Go's zero time (`0001-01-01T00:00:00Z`, in any RFC3339 spelling) or empty. */
export function isZeroTime(timestamp: string): boolean {
  return timestamp === '' || parseTimestamp(timestamp)?.ns === ZERO_NS;
}

/** One line from text and raw-byte parts (file names); a plain string when there are no bytes. */
export function textLine(...parts: TextLine[]): TextLine {
  if (parts.every((p) => typeof p === 'string')) return parts.join('');
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

/** One entry of a change section: its path and what follows it (`(3 -> 5 bytes)`), if anything. */
export interface ChangeLine {
  path: Uint8Array;
  detail?: string;
}

/**
 * The sections of `diff` and `status` text (§2.5): for each non-empty list a blank line,
 * `Added (<n>):` and `  + <path>[ <detail>]` lines (`Removed`/`-`, `Modified`/`~`); a blank
 * line and `No changes.` when all three are empty.
 */
export function changeSections(added: readonly ChangeLine[], removed: readonly ChangeLine[], modified: readonly ChangeLine[]): TextLine[] {
  const out: TextLine[] = [];
  const section = (title: string, sign: string, list: readonly ChangeLine[]): void => {
    if (list.length === 0) return;
    out.push('', `${title} (${list.length}):`);
    for (const c of list) out.push(textLine(`  ${sign} `, c.path, c.detail === undefined ? '' : ` ${c.detail}`));
  };
  section('Added', '+', added);
  section('Removed', '-', removed);
  section('Modified', '~', modified);
  if (out.length === 0) out.push('', 'No changes.');
  return out;
}
