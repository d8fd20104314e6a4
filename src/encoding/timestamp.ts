/**
 * Timestamps as Go writes and reads them (CONTRACT §1.3, §3.6): RFC3339Nano strings that stay
 * strings. They never pass through JS Date, which would drop the nanoseconds.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/;

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ParsedTime {
  /** Nanoseconds since the Unix epoch (UTC). */
  ns: bigint;
  /** The normalized RFC3339Nano form (offset kept unless it is zero). */
  normalized: string;
}

/** Days from 1970-01-01 to the civil date (proleptic Gregorian), valid for every year. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Parses an RFC3339 timestamp; undefined when it is not one. */
export function parseTimestamp(s: string): ParsedTime | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac = '', zone = 'Z'] = m;
  const nums = [y, mo, d, h, mi, sec].map(Number) as [number, number, number, number, number, number];
  const [Y, M, D, H, Mi, S] = nums;
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || Mi > 59 || S > 59) return undefined;
  // Go keeps nanosecond precision: digits past the ninth are dropped.
  const fracNs = frac === '' ? 0n : BigInt(frac.slice(0, 9).padEnd(9, '0'));
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const secs = BigInt(daysFromCivil(Y, M, D)) * 86400n + BigInt(H * 3600 + Mi * 60 + S) - BigInt(offsetMin * 60);
  const trimmed = frac.slice(0, 9).replace(/0+$/, '');
  const outZone = offsetMin === 0 ? 'Z' : zone;
  const normalized = `${y}-${mo}-${d}T${h}:${mi}:${sec}${trimmed ? '.' + trimmed : ''}${outZone}`;
  return { ns: secs * 1_000_000_000n + fracNs, normalized };
}

/** The normalization rule of §3.6; strings that do not parse are returned unchanged. */
export function normalizeTimestamp(s: string): string {
  return parseTimestamp(s)?.normalized ?? s;
}

/** Formats nanoseconds since the epoch as UTC RFC3339Nano. */
export function formatTimestamp(ns: bigint): string {
  const secs = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
  const frac = ns - secs * 1_000_000_000n;
  const days = Number(secs >= 0n ? secs / 86400n : (secs - 86399n) / 86400n);
  const rem = Number(secs - BigInt(days) * 86400n);
  const [y, m, d] = civilFromDays(days);
  const fracText = frac === 0n ? '' : '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(Math.floor(rem / 3600), 2)}:${pad(Math.floor(rem / 60) % 60, 2)}:${pad(rem % 60, 2)}${fracText}Z`;
}

/** Orders two timestamps numerically (nanosecond precision); unparsable ones sort first. */
export function compareTimestamps(a: string, b: string): number {
  const x = parseTimestamp(a)?.ns ?? -(2n ** 63n);
  const y = parseTimestamp(b)?.ns ?? -(2n ** 63n);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Wall-clock now in nanoseconds. Node's clock APIs give milliseconds (Date) or a monotonic
 * nanosecond counter (hrtime); anchoring the second to the first at start-up gives ns
 * resolution that never goes backwards within a process.
 */
const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export function nowNs(): bigint {
  return anchorNs + process.hrtime.bigint();
}

/** Now as an RFC3339Nano UTC timestamp. */
export function nowTimestamp(): string {
  return formatTimestamp(nowNs());
}
