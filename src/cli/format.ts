/**
 * Text formatting shared by the commands: SHORT ids and `YYYY-MM-DD HH:MM` dates (UTC, from a
 * descriptor's `created_at`, never through JS Date).
 */
import { formatTimestamp, parseTimestamp } from '../encoding/timestamp.js';

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
