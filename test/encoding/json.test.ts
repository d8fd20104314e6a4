import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { canonicalHash, canonicalJson } from '../../src/encoding/canonical.js';
import { encodeJson, encodeJsonOutput, formatNumber, quoteBytes, quoteString } from '../../src/encoding/json.js';

interface GoVectors {
  strings: { input_hex: string; encoded: string }[];
  numbers: { input: string; encoded: string }[];
}
// Produced by Go's encoding/json itself: test/encoding/go-vectors.go.
const go = JSON.parse(readFileSync(new URL('./go-vectors.json', import.meta.url), 'utf8')) as GoVectors;

describe('Go-compatible JSON strings', () => {
  it.each(go.strings.map((c) => [c.input_hex, c.encoded]))('bytes %s encode as Go does', (hex, encoded) => {
    expect(quoteBytes(Buffer.from(hex, 'hex'))).toBe(encoded);
  });

  it('JS strings that are valid UTF-8 encode as their bytes do', () => {
    for (const c of go.strings) {
      const bytes = Buffer.from(c.input_hex, 'hex');
      const s = bytes.toString('utf8');
      if (Buffer.from(s, 'utf8').equals(bytes)) expect(quoteString(s)).toBe(c.encoded);
    }
  });

  it('lone surrogates (not representable in UTF-8) become \\ufffd', () => {
    expect(quoteString('a\ud800b\udc00')).toBe('"a\\ufffdb\\ufffd"');
  });
});

describe('Go-compatible JSON numbers', () => {
  it.each(go.numbers.map((c) => [c.input, c.encoded]))('%s encodes as %s', (input, encoded) => {
    expect(formatNumber(Number(input))).toBe(encoded);
  });

  it('bigints are plain integers beyond 2^53', () => {
    expect(encodeJson(2n ** 63n - 1n, { pretty: false })).toBe('9223372036854775807');
  });
});

describe('layout', () => {
  const value = { name: 'main', tags: ['a', 'b'], empty: [], obj: {}, nested: { x: null, skip: undefined, t: true } };

  it('pretty: two-space indent, "key": value, empty [] and {}', () => {
    expect(encodeJson(value, { pretty: true })).toBe(
      '{\n  "name": "main",\n  "tags": [\n    "a",\n    "b"\n  ],\n  "empty": [],\n  "obj": {},\n  "nested": {\n    "x": null,\n    "t": true\n  }\n}',
    );
  });

  it('stdout output ends with a newline; on-disk forms do not', () => {
    expect(encodeJsonOutput({ a: 1 })).toBe('{\n  "a": 1\n}\n');
    expect(encodeJson({ a: 1 }, { pretty: false })).toBe('{"a":1}');
  });
});

describe('canonical JSON (CONTRACT §3.6, §3.11 vectors)', () => {
  it('vector 1: descriptor checksum', () => {
    const obj = {
      snapshot_id: '1795262147596-85ef8d28',
      worktree_name: 'main',
      created_at: '2026-11-21T11:55:47.618991461Z',
      note: 'first note',
      tags: ['v1', 'rel'],
      engine: 'copy',
      payload_root_hash: 'fd6b2961012ece43dd298876cc05dfd1887a61f519422cabcc9ebcb85ece093a',
      descriptor_checksum: '',
      integrity_state: '',
    };
    expect(canonicalJson(obj)).toBe(
      '{"created_at":"2026-11-21T11:55:47.618991461Z","descriptor_checksum":"","engine":"copy","integrity_state":"","note":"first note","payload_root_hash":"fd6b2961012ece43dd298876cc05dfd1887a61f519422cabcc9ebcb85ece093a","snapshot_id":"1795262147596-85ef8d28","tags":["v1","rel"],"worktree_name":"main"}',
    );
    expect(canonicalHash(obj)).toBe('31ef6b1de9c9e8b5c2913d803dacc3c9154079d50a138ec702f06e318d2bf563');
  });

  it('vector 2: descriptor with a parent', () => {
    const text =
      '{"created_at":"2026-11-21T12:17:00.629958601Z","descriptor_checksum":"","engine":"copy","integrity_state":"","note":"second: edited a","parent_id":"1795263420442-3f317e6c","payload_root_hash":"4e5d40a80c6bc466b0da271c422fe2f5c5a8d21a838bcafc43d99f0c4c59e596","snapshot_id":"1795263420606-dff34399","tags":["v2"],"worktree_name":"main"}';
    const obj = JSON.parse(text) as Record<string, string>;
    // Key order of the input must not matter.
    const shuffled = Object.fromEntries(Object.entries(obj).reverse());
    expect(canonicalJson(shuffled)).toBe(text);
    expect(canonicalHash(shuffled)).toBe('3d5c252c992b06322e457add46bf3af13420dbcf1e37771dc759173acaa27d71');
  });

  it('audit record hash vector', () => {
    const record = {
      timestamp: '2026-11-21T11:55:47.623669494Z',
      event_type: 'snapshot_create',
      snapshot_id: '1795262147596-85ef8d28',
      worktree_name: 'main',
      details: {
        note: 'first note',
        engine: 'copy',
        checksum: '31ef6b1de9c9e8b5c2913d803dacc3c9154079d50a138ec702f06e318d2bf563',
      },
      prev_hash: '',
      record_hash: '',
    };
    expect(canonicalHash(record)).toBe('44d1ba9681049247ed616f6aef905ce32b92960ca2c1573314a269f2d6b7bc8b');
  });

  it('HTML characters are escaped in hashed notes', () => {
    expect(canonicalJson({ note: 'a<b&c>' })).toBe('{"note":"a\\u003cb\\u0026c\\u003e"}');
  });

  it('keys sort by UTF-8 bytes, not UTF-16 units', () => {
    // U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) in bytes but after it in UTF-16.
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF61': 2 })).toBe('{"\uFF61":2,"\u{1F600}":1}');
  });
});
