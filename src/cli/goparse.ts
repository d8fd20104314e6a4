/**
 * The value parsers behind pflag's flag types, with Go's error texts, which end up in
 * `invalid argument "x" for "-n, --limit" flag: strconv.ParseInt: parsing "x": invalid syntax`
 * (CONTRACT §1.5): strconv.ParseInt(s, 0, 64), strconv.ParseBool and one encoding/csv record.
 */
import { goQuote } from '../repo/names.js';

const INT64_LIMIT = 1n << 63n;

const lower = (c: string): string => c.toLowerCase();

/** strconv's underscoreOK: `_` only between digits (a base prefix counts as a digit). */
function underscoreOK(num: string): boolean {
  let s = num;
  let saw = '^';
  let i = 0;
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(lower(s[1]!))) {
    i = 2;
    saw = '0';
    hex = lower(s[1]!) === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(s, 0, 64): sign, `0x`/`0o`/`0b`/leading-`0` prefixes, `_` separators. */
export function parseGoInt(s0: string): number {
  const fail = (why: string): Error => new Error(`strconv.ParseInt: parsing ${goQuote(s0)}: ${why}`);
  let s = s0;
  const neg = s.startsWith('-');
  if (neg || s.startsWith('+')) s = s.slice(1);
  if (s === '') throw fail('invalid syntax');
  let base = 10n;
  if (s[0] === '0') {
    const p = s.length >= 3 ? lower(s[1]!) : '';
    base = p === 'b' ? 2n : p === 'x' ? 16n : 8n;
    s = s.slice(p === 'b' || p === 'o' || p === 'x' ? 2 : 1);
  }
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = /^[0-9]$/.test(c) ? BigInt(c.charCodeAt(0) - 48) : /^[a-z]$/i.test(c) ? BigInt(lower(c).charCodeAt(0) - 87) : -1n;
    if (d < 0n || d >= base) throw fail('invalid syntax');
    n = n * base + d;
    // ParseUint reports overflow of 64 bits as soon as it happens, before later bad digits.
    if (n >= 1n << 64n) throw fail('value out of range');
  }
  if (underscores && !underscoreOK(s0)) throw fail('invalid syntax');
  if (neg ? n > INT64_LIMIT : n >= INT64_LIMIT) throw fail('value out of range');
  return Number(neg ? -n : n);
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

/**
 * The first record of `text` as Go's csv.Reader reads it with default settings (what pflag's
 * string slices do with each value): `,`-separated fields, `"`-quoted fields with `""` for a
 * quote and line breaks allowed inside, empty lines skipped. pflag maps `""` to no values.
 */
export function readCsvRecord(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  let ln = 0;
  while (ln < lines.length && lines[ln]!.replace(/\r$/, '') === '') ln++;
  if (ln >= lines.length) throw new Error('EOF');
  const startLine = ln + 1;
  /** Go's csv.ParseError; `at` is the 0-based index in `line` (Go counts columns in bytes). */
  const parseError = (lineNo: number, line: string, at: number, what: string): Error => {
    const where = `line ${lineNo}, column ${Buffer.byteLength(line.slice(0, at)) + 1}`;
    return new Error(lineNo === startLine ? `parse error on ${where}: ${what}` : `record on line ${startLine}; parse error on ${where}: ${what}`);
  };
  const fields: string[] = [];
  let line = lines[ln]!.replace(/\r$/, '');
  let i = 0;
  for (;;) {
    if (line[i] !== '"') {
      const end = line.indexOf(',', i);
      const field = end < 0 ? line.slice(i) : line.slice(i, end);
      const q = field.indexOf('"');
      if (q >= 0) throw parseError(ln + 1, line, i + q, 'bare " in non-quoted-field');
      fields.push(field);
      if (end < 0) return fields;
      i = end + 1;
      continue;
    }
    // Quoted field: runs to the closing quote, possibly over several lines.
    let field = '';
    i++;
    for (;;) {
      const q = line.indexOf('"', i);
      if (q < 0) {
        field += line.slice(i);
        if (ln + 1 >= lines.length) throw parseError(ln + 1, line, line.length, 'extraneous or missing " in quoted-field');
        field += '\n';
        ln++;
        line = lines[ln]!.replace(/\r$/, '');
        i = 0;
        continue;
      }
      field += line.slice(i, q);
      if (line[q + 1] === '"') {
        field += '"';
        i = q + 2;
        continue;
      }
      i = q + 1;
      break;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    // Go points at the closing quote that is not followed by a comma.
    if (line[i] !== ',') throw parseError(ln + 1, line, i - 1, 'extraneous or missing " in quoted-field');
    i++;
  }
}
