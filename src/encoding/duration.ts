/**
 * Durations (CONTRACT §1.1 `DURATION`): Go's `time.ParseDuration` syntax, byte for byte in what
 * it accepts and the errors it prints, plus our units `d` (24 h) and `w` (7 d). Values are
 * nanoseconds as bigint: Go durations are int64, and JS numbers lose precision above 2^53.
 * `formatGoDuration` is Go's `Duration.String()`, the form v8.2 can parse back (config.yaml
 * stores `retention.within` in it).
 */

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const S = 1000n * MS;
const M = 60n * S;
const H = 60n * M;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US], // U+00B5 micro sign
  ['\u03bcs', US], // U+03BC Greek small letter mu
  ['ms', MS],
  ['s', S],
  ['m', M],
  ['h', H],
  // Ours; Go rejects them, so they are never written where v8.2 reads.
  ['d', 24n * H],
  ['w', 7n * 24n * H],
]);

const MAX_U63 = 1n << 63n;

/**
 * Go's time-package quote: `"` and `\` escaped, and every byte of a non-ASCII or control
 * character as `\xNN` (so `1µ` is reported as `"1\xc2\xb5"`).
 */
function goTimeQuote(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b >= 0x80 || b < 0x20) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else out += String.fromCharCode(b);
  }
  return out + '"';
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a duration into nanoseconds. Throws Error with Go's message:
 * `time: invalid duration "x"`, `time: missing unit in duration "5"`,
 * `time: unknown unit "y" in duration "1y"`.
 */
export function parseDuration(orig: string): bigint {
  const invalid = (): Error => new Error(`time: invalid duration ${goTimeQuote(orig)}`);
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    if (!(s[i] === '.' || isDigit(s[i]))) throw invalid();
    // Integer part: uint64 with Go's overflow bound.
    const intStart = i;
    let v = 0n;
    for (; isDigit(s[i]); i++) {
      if (v > MAX_U63 / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX_U63) throw invalid();
    }
    const pre = i > intStart;
    // Fraction: digits past the precision of uint64 are skipped, not an error.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      let overflow = false;
      for (; isDigit(s[i]); i++) {
        if (overflow) continue;
        const y = f * 10n + BigInt(s.charCodeAt(i) - 48);
        if (f > (MAX_U63 - 1n) / 10n || y > MAX_U63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = i > fracStart;
    }
    if (!pre && !post) throw invalid();
    // Unit: everything up to the next digit or '.'.
    const unitStart = i;
    while (i < s.length && !(s[i] === '.' || isDigit(s[i]))) i++;
    if (i === unitStart) throw new Error(`time: missing unit in duration ${goTimeQuote(orig)}`);
    const u = s.slice(unitStart, i);
    const unit = UNITS.get(u);
    if (unit === undefined) throw new Error(`time: unknown unit ${goTimeQuote(u)} in duration ${goTimeQuote(orig)}`);
    if (v > MAX_U63 / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64 (nanosecond-accurate for hours); same arithmetic here.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX_U63) throw invalid();
    }
    total += v;
    if (total > MAX_U63) throw invalid();
  }
  if (neg) return -total;
  if (total > MAX_U63 - 1n) throw invalid();
  return total;
}

/** `v / 10^prec` as `.ddd` without trailing zeros ('' when the fraction is zero), and the quotient. */
function fraction(v: bigint, prec: number): [string, bigint] {
  const p = 10n ** BigInt(prec);
  const digits = (v % p).toString().padStart(prec, '0').replace(/0+$/, '');
  return [digits === '' ? '' : '.' + digits, v / p];
}

/** Go's `Duration.String()`: `1h30m0s`, `1.5s`, `500ms`, `1µs`, `0s`. */
export function formatGoDuration(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u === 0n) return '0s';
  if (u < S) {
    // Below a second Go switches to the largest smaller unit that fits.
    const [prec, unit] = u < US ? [0, 'ns'] : u < MS ? [3, '\u00b5s'] : [6, 'ms'];
    const [frac, whole] = fraction(u, prec);
    return `${sign}${whole}${frac}${unit}`;
  }
  const [frac, secs] = fraction(u, 9);
  const mins = secs / 60n;
  const hours = mins / 60n;
  // Go stops at hours: days can have different lengths.
  const h = hours > 0n ? `${hours}h` : '';
  const m = mins > 0n ? `${mins % 60n}m` : '';
  return `${sign}${h}${m}${secs % 60n}${frac}s`;
}
