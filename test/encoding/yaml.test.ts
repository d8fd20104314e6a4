import { describe, expect, it } from 'vitest';

import { describeNode, encodeYaml, parseYaml, quoteYamlScalar, resolveScalar, type YamlNode } from '../../src/encoding/yaml.js';

/** A node as plain data: maps → objects (entries in order), scalars → their text, or `{q: text}` when quoted. */
function plain(n: YamlNode | undefined): unknown {
  if (n === undefined) return undefined;
  if (n.kind === 'scalar') return n.quoted ? { q: n.value } : n.value;
  if (n.kind === 'seq') return n.items.map(plain);
  return Object.fromEntries(n.entries.map((e) => [e.key.value, plain(e.value)]));
}

const parse = (text: string): unknown => plain(parseYaml(text));

describe('parseYaml: structure', () => {
  it('reads what yaml.v3 writes (4-space block style)', () => {
    expect(
      parse('default_engine: copy\ndefault_tags:\n    - a\n    - "y"\nprogress_enabled: true\nretention:\n    keep: 5\n    within: 168h0m0s\n    keep_tags:\n        - x\n'),
    ).toEqual({
      default_engine: 'copy',
      default_tags: ['a', { q: 'y' }],
      progress_enabled: 'true',
      retention: { keep: '5', within: '168h0m0s', keep_tags: ['x'] },
    });
  });

  it('reads hand-written forms: 2-space indent, sequences at the key indentation, flow collections, comments', () => {
    const text = [
      '# JVS config',
      '---',
      'default_tags:   # the tags',
      '- a',
      "- 'b c'",
      '',
      'retention: {keep: 3, within: 7d, keep_tags: [rel, "v1"]}  # trailing',
      'other:',
      '  nested: [1, [2, 3], {x: y}]',
      'multi: [a,',
      '   b,   # comment inside',
      '   c,]',
      'default_engine: copy#not-a-comment',
      '...',
      'ignored: after the document end',
    ].join('\n');
    expect(parse(text)).toEqual({
      default_tags: ['a', { q: 'b c' }],
      retention: { keep: '3', within: '7d', keep_tags: ['rel', { q: 'v1' }] },
      other: { nested: ['1', ['2', '3'], { x: 'y' }] },
      multi: ['a', 'b', 'c'],
      default_engine: 'copy#not-a-comment',
    });
  });

  it('reads compact nested forms', () => {
    expect(parse('- a: 1\n  b: 2\n- - x\n  - y\n-\n  z: 3\n')).toEqual([{ a: '1', b: '2' }, ['x', 'y'], { z: '3' }]);
    expect(parse('a:\n- k: v\n  l:\n  - m\nb: 1\n')).toEqual({ a: [{ k: 'v', l: ['m'] }], b: '1' });
  });

  it('empty values are empty plain scalars; an empty document is undefined', () => {
    expect(parse('a:\nb: ~\nc: {}\nd: []\ne: {k}\n')).toEqual({ a: '', b: '~', c: {}, d: [], e: { k: '' } });
    for (const empty of ['', '\n\n', '# only a comment\n', '---\n', '---\n...\n', '\uFEFF']) expect(parseYaml(empty)).toBeUndefined();
  });

  it('handles CRLF, URLs, colons inside plain scalars and trailing spaces', () => {
    expect(parse('a: http://x:8080/p\r\nb:   spaced   \r\nc: a:b\r\n')).toEqual({ a: 'http://x:8080/p', b: 'spaced', c: 'a:b' });
  });

  it('decodes quoted scalars', () => {
    expect(parse(`a: 'it''s # not a comment'\nb: "t\\tb\\u00e9\\x41\\U0001F600\\"\\\\\\/\\N\\_\\L\\P\\0\\e\\ "\nc: ""\n"quoted key": 1\n`)).toEqual({
      a: { q: "it's # not a comment" },
      b: { q: 't\tbé\x41\u{1F600}"\\/\u0085\u00a0\u2028\u2029\0\x1b ' },
      c: { q: '' },
      'quoted key': '1',
    });
  });

  it('keeps line numbers', () => {
    const doc = parseYaml('# c\na: 1\nb:\n  - x\n') as Extract<YamlNode, { kind: 'map' }>;
    expect(doc.line).toBe(2);
    expect(doc.entries.map((e) => [e.key.line, e.value.line])).toEqual([
      [2, 2],
      [3, 4],
    ]);
  });
});

describe('parseYaml: errors', () => {
  it.each([
    ['a: b: c\n', 'yaml: line 1: mapping values are not allowed in this context'],
    ['\tdefault_engine: copy\n', 'yaml: line 1: found character that cannot start any token'],
    ['a: 1\na: 2\n', 'yaml: line 2: mapping key "a" already defined at line 1'],
    ['retention:\n    keep: 5\n  within: 1h\n', 'yaml: line 3: did not find expected key'],
    ['a: "two\n  lines"\n', 'yaml: line 1: unsupported YAML feature: multi-line quoted scalars'],
    ['a: "unterminated\nb: 1\n', 'yaml: line 1: found unexpected end of stream'],
    ['a: "unterminated', 'yaml: line 1: found unexpected end of stream'],
    ['a: [1, 2\n', "yaml: line 1: did not find expected ',' or ']'"],
    ['a: {x: "1" y}\n', "yaml: line 1: did not find expected ',' or '}'"],
    ['a: &x 1\n', 'yaml: line 1: unsupported YAML feature: anchors, aliases and tags'],
    ['a: *x\n', 'yaml: line 1: unsupported YAML feature: anchors, aliases and tags'],
    ['a: !!str 1\n', 'yaml: line 1: unsupported YAML feature: anchors, aliases and tags'],
    ['a: |\n  text\n', 'yaml: line 1: unsupported YAML feature: block scalars'],
    ['a: - x\n', 'yaml: line 1: block sequence entries are not allowed in this context'],
    ['a: "x" y\n', 'yaml: line 1: did not find expected key'],
    ['a: "\\q"\n', 'yaml: line 1: found unknown escape character while parsing a quoted scalar'],
    ['a:\n  - x\n  y\n', "yaml: line 3: did not find expected '-' indicator"],
    ['a: 1\n  b: 2\n', 'yaml: line 2: did not find expected key'],
    ['- a\nb: 1\n', 'yaml: line 2: did not find expected <document start>'],
    ['--- a: 1\n', 'yaml: line 1: unsupported YAML feature: content after ---'],
    ['? a\n: b\n', 'yaml: line 1: unsupported YAML feature: complex keys'],
    ['a: [x: 1]\n', 'yaml: line 1: unsupported YAML feature: mappings inside flow sequences'],
    ['a: `x`\n', 'yaml: line 1: found character that cannot start any token'],
    ['&k a: 1\n', 'yaml: line 1: unsupported YAML feature: anchors, aliases and tags'],
    ['a: [#x]\n', 'yaml: line 1: found character that cannot start any token'],
  ])('%j → %s', (text, message) => {
    expect(() => parseYaml(text)).toThrowError(message);
  });
});

describe('resolveScalar (yaml.v3 rules)', () => {
  const r = (value: string, quoted = false) => resolveScalar({ kind: 'scalar', value, quoted, line: 1 });
  it.each([
    ['', { tag: '!!null' }],
    ['~', { tag: '!!null' }],
    ['Null', { tag: '!!null' }],
    ['true', { tag: '!!bool', value: true }],
    ['FALSE', { tag: '!!bool', value: false }],
    ['yes', { tag: '!!str', value: 'yes' }],
    ['5', { tag: '!!int', value: 5n }],
    ['-3', { tag: '!!int', value: -3n }],
    ['0x10', { tag: '!!int', value: 16n }],
    ['0o17', { tag: '!!int', value: 15n }],
    ['017', { tag: '!!int', value: 15n }],
    ['0b101', { tag: '!!int', value: 5n }],
    ['1_000', { tag: '!!int', value: 1000n }],
    ['18446744073709551615', { tag: '!!int', value: 18446744073709551615n }],
    ['99999999999999999999', { tag: '!!float', value: 1e20 }],
    ['09', { tag: '!!float', value: 9 }],
    ['1.0', { tag: '!!float', value: 1 }],
    ['.5', { tag: '!!float', value: 0.5 }],
    ['1e3', { tag: '!!float', value: 1000 }],
    ['-.inf', { tag: '!!float', value: -Infinity }],
    ['168h0m0s', { tag: '!!str', value: '168h0m0s' }],
    ['1.2.3', { tag: '!!str', value: '1.2.3' }],
    ['2001-12-14', { tag: '!!timestamp', value: '2001-12-14' }],
    ['2001-12-14T21:59:43.10-05:00', { tag: '!!timestamp', value: '2001-12-14T21:59:43.10-05:00' }],
  ])('%j', (value, expected) => {
    expect(r(value)).toEqual(expected);
  });

  it('quoted scalars are always strings', () => {
    expect(r('true', true)).toEqual({ tag: '!!str', value: 'true' });
    expect(r('', true)).toEqual({ tag: '!!str', value: '' });
  });

  it('describes nodes like yaml.v3 type errors', () => {
    expect(describeNode({ kind: 'scalar', value: 'maybe', quoted: false, line: 1 })).toBe('!!str `maybe`');
    expect(describeNode({ kind: 'scalar', value: 'just a string', quoted: false, line: 1 })).toBe('!!str `just a ...`');
    expect(describeNode({ kind: 'scalar', value: '99999999999999999999', quoted: false, line: 1 })).toBe('!!float `9999999...`');
    expect(describeNode({ kind: 'seq', items: [], line: 1 })).toBe('!!seq');
  });
});

describe('writing', () => {
  it('uses yaml.v3 block style: 4-space indents, [] and {} for empty collections', () => {
    expect(encodeYaml({ a: 'copy', b: ['x', 'y'], c: undefined, d: { keep: 5, within: '168h0m0s', keep_tags: ['r'] }, e: [], f: {}, g: true })).toBe(
      'a: copy\nb:\n    - x\n    - "y"\nd:\n    keep: 5\n    within: 168h0m0s\n    keep_tags:\n        - r\ne: []\nf: {}\ng: true\n',
    );
    expect(encodeYaml({})).toBe('{}\n');
  });

  it.each([
    ['copy', 'copy'],
    ['my tag', 'my tag'],
    ['café', 'café'],
    ['v1.2.3', 'v1.2.3'],
    ['', '""'],
    ['true', '"true"'],
    ['yes', '"yes"'],
    ['N', '"N"'],
    ['123', '"123"'],
    ['1e3', '"1e3"'],
    ['0x1F', '"0x1F"'],
    ['2001-12-14', '"2001-12-14"'],
    ['.inf', '".inf"'],
    ['~', '"~"'],
    ['null', '"null"'],
    ['-x', '"-x"'],
    [' lead', '" lead"'],
    ['a: b', '"a: b"'],
    ['a #b', '"a #b"'],
    ['[x]', '"[x]"'],
    ['quote"back\\slash', '"quote\\"back\\\\slash"'],
    ['line\nbreak\ttab\x01\x7f\u0085\u2028\ufeff', '"line\\nbreak\\ttab\\x01\\x7F\\N\\L\\uFEFF"'],
  ])('scalar %j → %s', (s, out) => {
    expect(quoteYamlScalar(s)).toBe(out);
  });

  it('round-trips any string through write and read', () => {
    const samples = ['', ' ', 'a', 'yes', 'no', 'on', '1:20', '- x', '? x', '# x', 'x #', "it's", '"', '\\', '@x', '`x`', '%x', '&a', '*a', '!t', '|', '>',
      '{a}', 'a,b', '\0\x1b\x07\b\v\f\r', '\u00a0nbsp', 'emoji \u{1F600}', 'tab\tin', 'trailing ', '0', '-1', '+1', '.5', '1_0', '0o7', 'Null', 'FALSE'];
    for (const s of samples) {
      const text = encodeYaml({ k: s, l: [s] });
      expect(plain(parseYaml(text)), text).toEqual({ k: expectString(s), l: [expectString(s)] });
    }
    function expectString(s: string): unknown {
      const q = quoteYamlScalar(s);
      return q.startsWith('"') ? { q: s } : s;
    }
  });
});
