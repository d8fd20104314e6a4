/**
 * JSON encoded exactly as Go's encoding/json does it (CONTRACT §1.3), for stdout, for every
 * on-disk JSON file, and (through canonical.ts) for checksums. JavaScript's JSON.stringify
 * differs in string escaping (`<`, `>`, `&`, U+2028/9, invalid UTF-8) and number formatting, so
 * nothing in JVS that v8.2 also reads or hashes may use it.
 *
 * Values: plain objects (keys in insertion order — callers build objects in the documented
 * field order), arrays, strings, numbers, bigints (integers), booleans, null, and Buffers,
 * which stand for Go strings holding raw bytes (file names): each byte that is not part of
 * valid UTF-8 is written as `\ufffd`. `undefined` properties are left out, as Go's omitempty
 * fields are by the callers that set them to undefined.
 */

export type JsonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

export interface EncodeOptions {
  /** Two-space pretty printing as `SetIndent("", "  ")`; compact when false. */
  pretty: boolean;
}

const HEX = '0123456789abcdef';

function escapeCodeUnit(c: number): string {
  switch (c) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    default:
      return `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
  }
}

/** Characters Go escapes: controls, `"`, `\`, and the HTML-sensitive `<`, `>`, `&`. */
function needsEscape(c: number): boolean {
  return c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26;
}

/** The escaped body of a JS string (no quotes). Lone surrogates cannot be UTF-8: \ufffd. */
function escapeBody(s: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x80) {
      if (!needsEscape(c)) continue;
      rep = c === 0x3c ? '\\u003c' : c === 0x3e ? '\\u003e' : c === 0x26 ? '\\u0026' : escapeCodeUnit(c);
    } else if (c === 0x2028 || c === 0x2029) {
      rep = c === 0x2028 ? '\\u2028' : '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      rep = '\\ufffd';
    } else {
      continue;
    }
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start);
}

/** A JS string as a Go JSON string literal. */
export function quoteString(s: string): string {
  return '"' + escapeBody(s) + '"';
}

/** Length of the valid UTF-8 sequence starting at i, or 0 when the byte there starts none. */
function utf8SeqLen(b: Buffer, i: number): number {
  const c = b[i]!;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1];
    if (c1 === undefined) return 0;
    // Overlong (E0 80–9F) and surrogate (ED A0–BF) forms are invalid, as Go's decoder says.
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1];
    if (c1 === undefined) return 0;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Raw bytes (a Go string) as a JSON string literal: invalid bytes become `\ufffd` each. */
export function quoteBytes(b: Buffer): string {
  let out = '"';
  let start = 0;
  let i = 0;
  while (i < b.length) {
    const n = utf8SeqLen(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += escapeBody(b.toString('utf8', start, i)) + '\\ufffd';
    i++;
    start = i;
  }
  return out + escapeBody(b.toString('utf8', start)) + '"';
}

/**
 * A float64 as Go's encoder writes it: shortest round-trip digits, plain notation for
 * 1e-6 ≤ |f| < 1e21, exponent form outside. Go trims its exponent to `e-7`/`e+21`, which is
 * exactly what toExponential() prints; String() is plain decimal in the middle range.
 */
export function formatNumber(f: number): string {
  if (!Number.isFinite(f)) throw new Error(`json: unsupported value: ${f}`);
  if (Object.is(f, -0)) return '-0';
  const abs = Math.abs(f);
  return abs !== 0 && (abs < 1e-6 || abs >= 1e21) ? f.toExponential() : String(f);
}

function encodeValue(v: JsonValue, pretty: boolean, indent: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return quoteString(v);
    case 'number':
      return formatNumber(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (Buffer.isBuffer(v)) return quoteBytes(v);
  const inner = indent + '  ';
  const sep = pretty ? ',\n' + inner : ',';
  const open = pretty ? '\n' + inner : '';
  const close = pretty ? '\n' + indent : '';
  if (Array.isArray(v)) {
    const arr = v as readonly JsonValue[];
    if (arr.length === 0) return '[]';
    return '[' + open + arr.map((x) => encodeValue(x, pretty, inner)).join(sep) + close + ']';
  }
  const obj = v as { readonly [key: string]: JsonValue | undefined };
  const parts: string[] = [];
  for (const [k, x] of Object.entries(obj)) {
    if (x === undefined) continue;
    parts.push(quoteString(k) + (pretty ? ': ' : ':') + encodeValue(x, pretty, inner));
  }
  if (parts.length === 0) return '{}';
  return '{' + open + parts.join(sep) + close + '}';
}

/** Encodes without a trailing newline (the on-disk forms). */
export function encodeJson(v: JsonValue, opts: EncodeOptions): string {
  return encodeValue(v, opts.pretty, '');
}

/** Pretty JSON plus the trailing newline that Go's json.Encoder writes (stdout, CONTRACT §1.3). */
export function encodeJsonOutput(v: JsonValue): string {
  return encodeValue(v, true, '') + '\n';
}
