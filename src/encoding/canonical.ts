/**
 * Canonical JSON (CONTRACT §3.6): object keys sorted byte-wise (UTF-8) at every level, no
 * whitespace, Go string escaping and number formatting. The input of descriptor checksums and
 * audit record hashes; never written to disk itself.
 */
import { createHash } from 'node:crypto';

import { encodeJson, type JsonValue } from './json.js';
import { byteOrder } from './order.js';


function sortKeys(v: JsonValue): JsonValue {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return (v as readonly JsonValue[]).map(sortKeys);
  const obj = v as { readonly [key: string]: JsonValue | undefined };
  const out: { [key: string]: JsonValue } = {};
  for (const k of Object.keys(obj).sort(byteOrder)) {
    const x = obj[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

export function canonicalJson(v: JsonValue): string {
  return encodeJson(sortKeys(v), { pretty: false });
}

/** Lower-case hex SHA-256 of the canonical form. */
export function canonicalHash(v: JsonValue): string {
  return createHash('sha256').update(canonicalJson(v), 'utf8').digest('hex');
}
