/**
 * The YAML subset `.jvs/config.yaml` needs (CONTRACT §3.10): what v8.2 (Go yaml.v3) writes and
 * what people write by hand. No YAML package may be added, so this is a small parser and
 * emitter of our own.
 *
 * Reading: block mappings and sequences (including `- key: value` compact forms and sequences at
 * their parent key's indentation), flow sequences and mappings (nested, across lines), plain,
 * 'single-' and "double-quoted" scalars, comments, `---`/`...` markers (first document only).
 * Not supported, rejected with a clear error: anchors, aliases, tags, block scalars (`|`, `>`),
 * complex keys, multi-line plain or quoted scalars. Errors read `yaml: line N: <problem>`, with
 * yaml.v3's phrases where it has one.
 *
 * Writing: block style with yaml.v3's 4-space indentation; strings plain when that reads back
 * as the same string in YAML 1.1 and 1.2 (yaml.v3's rule), else double-quoted.
 */

export interface YamlScalar {
  kind: 'scalar';
  /** The scalar's text, escapes decoded; '' for an empty value. */
  value: string;
  /** Quoted scalars are always strings; plain ones are resolved (resolveScalar). */
  quoted: boolean;
  line: number;
}
export interface YamlSeq {
  kind: 'seq';
  items: YamlNode[];
  line: number;
}
export interface YamlMap {
  kind: 'map';
  entries: { key: YamlScalar; value: YamlNode }[];
  line: number;
}
export type YamlNode = YamlScalar | YamlSeq | YamlMap;

export class YamlError extends Error {
  constructor(line: number, problem: string) {
    super(`yaml: line ${line}: ${problem}`);
    this.name = 'YamlError';
  }
}

const FLOW_INDICATORS = ',[]{}';
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** Double-quoted escapes with a fixed meaning (YAML 1.2 §5.7); \x, \u, \U are numeric. */
const DQ_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/** A position: line index and column (UTF-16 code units; indentation is ASCII spaces). */
interface Pos {
  li: number;
  col: number;
}

class Parser {
  private readonly lines: string[];

  constructor(text: string) {
    this.lines = Parser.firstDocument(text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/));
  }

  /**
   * The lines of the first document: an opening `---` and everything from the next `---` or
   * `...` on are blanked out or dropped, so the block parser never sees a marker. Line numbers
   * stay those of the file.
   */
  private static firstDocument(lines: string[]): string[] {
    const isMarker = (line: string, m: string): boolean => line.startsWith(m) && (line.length === 3 || isBlank(line[3]));
    const isEmpty = (line: string): boolean => /^\s*(#.*)?$/.test(line);
    let i = 0;
    while (i < lines.length && isEmpty(lines[i]!)) i++;
    if (i < lines.length && lines[i]!.startsWith('%')) throw new YamlError(i + 1, 'unsupported YAML feature: directives');
    if (i < lines.length && isMarker(lines[i]!, '---')) {
      if (!isEmpty(lines[i]!.slice(3))) throw new YamlError(i + 1, 'unsupported YAML feature: content after ---');
      lines[i] = '';
    }
    const end = lines.findIndex((line, j) => j > i && (isMarker(line, '---') || isMarker(line, '...')));
    return end < 0 ? lines : lines.slice(0, end);
  }

  private char(p: Pos): string | undefined {
    return this.lines[p.li]?.[p.col];
  }

  private error(p: Pos, problem: string): YamlError {
    return new YamlError(p.li + 1, problem);
  }

  /** The first line at or after `li` with content (not blank, not only a comment). */
  private nextContent(li: number): Pos | undefined {
    for (; li < this.lines.length; li++) {
      const line = this.lines[li]!;
      const m = /^( *)([^ ]?)/.exec(line)!;
      const col = m[1]!.length;
      const rest = line.slice(col).trimStart();
      if (rest === '' || rest.startsWith('#')) continue;
      // Tabs may separate tokens, never indent them.
      if (m[2] === '\t') throw new YamlError(li + 1, 'found character that cannot start any token');
      return { li, col };
    }
    return undefined;
  }

  /** After a value: only blanks and a comment may follow on the line. */
  private expectLineEnd(p: Pos, what: string): void {
    const line = this.lines[p.li]!;
    let col = p.col;
    while (isBlank(line[col])) col++;
    if (col < line.length && !(line[col] === '#' && (col === 0 || isBlank(line[col - 1])))) {
      throw this.error(p, `did not find expected ${what}`);
    }
  }

  parseDocument(): YamlNode | undefined {
    const start = this.nextContent(0);
    if (!start) return undefined;
    const node = this.parseBlockAt(start);
    const after = this.nextContent(node.end.li + 1);
    if (after) throw this.error(after, after.col > start.col ? 'did not find expected key' : 'did not find expected <document start>');
    return node.node;
  }

  /** Whether the content at `p` is a block sequence entry (`-` then blank or end of line). */
  private isSeqEntry(p: Pos): boolean {
    const next = this.lines[p.li]![p.col + 1];
    return this.char(p) === '-' && (next === undefined || isBlank(next));
  }

  /** Whether the content at `p` starts a `key: value` mapping entry. */
  private isMapEntry(p: Pos): boolean {
    const line = this.lines[p.li]!;
    let col = p.col;
    const c = line[col];
    if (c === '"' || c === "'") {
      try {
        col = this.scanQuoted(p).end.col;
      } catch {
        return false;
      }
    } else if (c === '[' || c === '{') {
      return false;
    } else {
      for (; col < line.length; col++) {
        if (line[col] === '#' && isBlank(line[col - 1])) return false;
        if (line[col] === ':' && (col + 1 === line.length || isBlank(line[col + 1]))) return true;
      }
      return false;
    }
    while (isBlank(line[col])) col++;
    return line[col] === ':' && (col + 1 === line.length || isBlank(line[col + 1]));
  }

  /** A block node whose first token is at `p`; its indentation is p.col. */
  private parseBlockAt(p: Pos): { node: YamlNode; end: Pos } {
    if (this.isSeqEntry(p)) return this.parseSeq(p);
    if (this.char(p) === '?' && isBlank(this.lines[p.li]![p.col + 1])) throw this.error(p, 'unsupported YAML feature: complex keys');
    if (this.isMapEntry(p)) return this.parseMap(p);
    const v = this.parseInline(p, false);
    this.expectLineEnd(v.end, 'key');
    return v;
  }

  /** The value of an entry whose indicator (`key:` or `-`) ended its line: a block more indented, or null. */
  private parseBlockChild(parentIndent: number, li: number, allowSameIndentSeq: boolean): { node: YamlNode; end: Pos } {
    const next = this.nextContent(li + 1);
    if (next && (next.col > parentIndent || (allowSameIndentSeq && next.col === parentIndent && this.isSeqEntry(next)))) {
      return this.parseBlockAt(next);
    }
    return { node: { kind: 'scalar', value: '', quoted: false, line: li + 1 }, end: { li, col: this.lines[li]!.length } };
  }

  private parseMap(start: Pos): { node: YamlMap; end: Pos } {
    const indent = start.col;
    const map: YamlMap = { kind: 'map', entries: [], line: start.li + 1 };
    const seen = new Map<string, number>();
    let p: Pos | undefined = start;
    let end = start;
    while (p) {
      if (this.isSeqEntry(p) || !this.isMapEntry(p)) throw this.error(p, 'did not find expected key');
      const quotedKey = this.char(p) === '"' || this.char(p) === "'";
      if (!quotedKey) this.checkPlainStart(p);
      const key = quotedKey ? this.scanQuoted(p) : this.scanPlainKey(p);
      const prev = seen.get(key.node.value);
      if (prev !== undefined) throw this.error(p, `mapping key ${JSON.stringify(key.node.value)} already defined at line ${prev}`);
      seen.set(key.node.value, p.li + 1);
      // Skip to the ':' and past it.
      const line = this.lines[p.li]!;
      let col = key.end.col;
      while (line[col] !== ':') col++;
      col++;
      while (isBlank(line[col])) col++;
      let value: { node: YamlNode; end: Pos };
      if (col >= line.length || line[col] === '#') {
        value = this.parseBlockChild(indent, p.li, true);
      } else {
        value = this.parseInline({ li: p.li, col }, false);
        this.expectLineEnd(value.end, 'key');
      }
      map.entries.push({ key: key.node, value: value.node });
      end = value.end;
      p = this.nextContent(end.li + 1);
      if (!p || p.col < indent) break;
      if (p.col > indent) throw this.error(p, 'did not find expected key');
    }
    return { node: map, end };
  }

  private parseSeq(start: Pos): { node: YamlSeq; end: Pos } {
    const indent = start.col;
    const seq: YamlSeq = { kind: 'seq', items: [], line: start.li + 1 };
    let p: Pos | undefined = start;
    let end = start;
    while (p && p.col === indent && this.isSeqEntry(p)) {
      const line = this.lines[p.li]!;
      let col = p.col + 1;
      while (isBlank(line[col])) col++;
      const item =
        col >= line.length || line[col] === '#' ? this.parseBlockChild(indent, p.li, false) : this.parseBlockAt({ li: p.li, col });
      seq.items.push(item.node);
      end = item.end;
      p = this.nextContent(end.li + 1);
    }
    // What may follow: something less indented, or (for a sequence at its parent key's
    // indentation) the parent's next key.
    if (p && (p.col > indent || (p.col === indent && !this.isMapEntry(p)))) {
      throw this.error(p, "did not find expected '-' indicator");
    }
    return { node: seq, end };
  }

  /**
   * A value that fits on its line (a scalar) or a flow collection (which may span lines).
   * `inFlow`: inside [] or {}, where `,`, `]`, `}` end plain scalars.
   */
  private parseInline(p: Pos, inFlow: boolean): { node: YamlNode; end: Pos } {
    const c = this.char(p);
    if (c === '[' || c === '{') return this.parseFlow(p);
    if (c === '"' || c === "'") return this.scanQuoted(p);
    this.checkPlainStart(p);
    return this.scanPlain(p, inFlow);
  }

  /** Rejects the indicators a plain scalar (value or key) cannot start with. */
  private checkPlainStart(p: Pos): void {
    const c = this.char(p);
    const next = this.lines[p.li]![p.col + 1];
    if (c === '&' || c === '*' || c === '!') throw this.error(p, 'unsupported YAML feature: anchors, aliases and tags');
    if (c === '|' || c === '>') throw this.error(p, 'unsupported YAML feature: block scalars');
    if (c === '%' || c === '@' || c === '`' || c === '#') throw this.error(p, 'found character that cannot start any token');
    if ((c === '-' || c === '?' || c === ':') && (next === undefined || isBlank(next))) {
      throw this.error(p, c === '-' ? 'block sequence entries are not allowed in this context' : 'mapping values are not allowed in this context');
    }
  }

  /** A plain scalar: up to the end of line or a comment (and, in flow, a flow indicator or `: `). */
  private scanPlain(p: Pos, inFlow: boolean): { node: YamlScalar; end: Pos } {
    const line = this.lines[p.li]!;
    let col = p.col;
    for (; col < line.length; col++) {
      const ch = line[col]!;
      if (ch === '#' && isBlank(line[col - 1])) break;
      if (inFlow && FLOW_INDICATORS.includes(ch)) break;
      if (ch === ':') {
        const next = line[col + 1];
        const ends = next === undefined || isBlank(next) || (inFlow && FLOW_INDICATORS.includes(next));
        if (ends && inFlow) break;
        if (ends) throw this.error(p, 'mapping values are not allowed in this context');
      }
    }
    const raw = line.slice(p.col, col);
    const value = raw.replace(/[ \t]+$/, '');
    return { node: { kind: 'scalar', value, quoted: false, line: p.li + 1 }, end: { li: p.li, col: p.col + value.length } };
  }

  /** A plain mapping key: up to the `:` that ends it (isMapEntry has checked there is one). */
  private scanPlainKey(p: Pos): { node: YamlScalar; end: Pos } {
    const line = this.lines[p.li]!;
    let col = p.col;
    while (!(line[col] === ':' && (col + 1 === line.length || isBlank(line[col + 1])))) col++;
    const value = line.slice(p.col, col).replace(/[ \t]+$/, '');
    return { node: { kind: 'scalar', value, quoted: false, line: p.li + 1 }, end: { li: p.li, col } };
  }

  /** A single- or double-quoted scalar on one line. */
  private scanQuoted(p: Pos): { node: YamlScalar; end: Pos } {
    const line = this.lines[p.li]!;
    const q = line[p.col]!;
    let out = '';
    let col = p.col + 1;
    for (;;) {
      if (col >= line.length) {
        const closedLater = this.lines.slice(p.li + 1).some((l) => l.includes(q));
        throw this.error(p, closedLater ? 'unsupported YAML feature: multi-line quoted scalars' : 'found unexpected end of stream');
      }
      const ch = line[col]!;
      if (ch === q) {
        if (q === "'" && line[col + 1] === "'") {
          out += "'";
          col += 2;
          continue;
        }
        break;
      }
      if (q === '"' && ch === '\\') {
        const [text, len] = this.unescape(line, col, p);
        out += text;
        col += len;
        continue;
      }
      out += ch;
      col++;
    }
    return { node: { kind: 'scalar', value: out, quoted: true, line: p.li + 1 }, end: { li: p.li, col: col + 1 } };
  }

  /** A double-quoted escape at line[col] (the backslash): its text and source length. */
  private unescape(line: string, col: number, p: Pos): [string, number] {
    const e = line[col + 1];
    if (e !== undefined && DQ_ESCAPES[e] !== undefined) return [DQ_ESCAPES[e], 2];
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const hex = line.slice(col + 2, col + 2 + width);
    if (width > 0 && hex.length === width && /^[0-9a-fA-F]+$/.test(hex)) {
      const cp = parseInt(hex, 16);
      if (cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return [String.fromCodePoint(cp), 2 + width];
    }
    throw this.error(p, 'found unknown escape character while parsing a quoted scalar');
  }

  /** Skips blanks, line breaks and comments inside a flow collection. */
  private skipFlowSpace(p: Pos): Pos {
    let { li, col } = p;
    for (;;) {
      const line = this.lines[li];
      if (line === undefined) return { li, col };
      while (isBlank(line[col])) col++;
      if (col >= line.length || (line[col] === '#' && (col === 0 || isBlank(line[col - 1])))) {
        li++;
        col = 0;
        continue;
      }
      return { li, col };
    }
  }

  private parseFlow(start: Pos): { node: YamlSeq | YamlMap; end: Pos } {
    const isSeq = this.char(start) === '[';
    const close = isSeq ? ']' : '}';
    const line = start.li + 1;
    const items: YamlNode[] = [];
    const entries: YamlMap['entries'] = [];
    let p = this.skipFlowSpace({ li: start.li, col: start.col + 1 });
    for (;;) {
      const c = this.char(p);
      if (c === undefined) throw this.error(start, `did not find expected ',' or '${close}'`);
      if (c === close) break;
      const item = this.parseInline(p, true);
      p = this.skipFlowSpace(item.end);
      if (isSeq) {
        if (this.char(p) === ':') throw this.error(p, 'unsupported YAML feature: mappings inside flow sequences');
        items.push(item.node);
      } else {
        if (item.node.kind !== 'scalar') throw this.error(p, 'unsupported YAML feature: complex keys');
        let value: YamlNode = { kind: 'scalar', value: '', quoted: false, line: p.li + 1 };
        if (this.char(p) === ':') {
          p = this.skipFlowSpace({ li: p.li, col: p.col + 1 });
          if (this.char(p) !== ',' && this.char(p) !== close) {
            const v = this.parseInline(p, true);
            value = v.node;
            p = this.skipFlowSpace(v.end);
          }
        }
        entries.push({ key: item.node, value });
      }
      if (this.char(p) === ',') {
        p = this.skipFlowSpace({ li: p.li, col: p.col + 1 });
      } else if (this.char(p) !== close) {
        throw this.error(this.char(p) === undefined ? start : p, `did not find expected ',' or '${close}'`);
      }
    }
    const end = { li: p.li, col: p.col + 1 };
    return { node: isSeq ? { kind: 'seq', items, line } : { kind: 'map', entries, line }, end };
  }
}

/** Parses the first document of `text`; undefined when it is empty (only comments, blank). */
export function parseYaml(text: string): YamlNode | undefined {
  return new Parser(text).parseDocument();
}

export type Resolved =
  | { tag: '!!null' }
  | { tag: '!!bool'; value: boolean }
  | { tag: '!!int'; value: bigint }
  | { tag: '!!float'; value: number }
  | { tag: '!!timestamp'; value: string }
  | { tag: '!!str'; value: string };

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** The timestamp forms yaml.v3 recognizes in plain scalars (a date, optionally with a time). */
const YAML_TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]| +)\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d*)?(?: *(?:Z|[-+]\d{1,2}(?::\d{2})?))?)?$/;

/**
 * What a scalar means, as yaml.v3 resolves it: quoted scalars are strings; plain ones may be
 * null (`~`, `null`, empty), bool (`true`/`false` in three casings), int (Go ParseInt base 0
 * after dropping `_`: decimal, 0x, 0o, 0b, leading-0 octal; up to uint64), float, or a
 * timestamp (kept as text: the tag matters only for errors and for quoting).
 */
export function resolveScalar(s: YamlScalar): Resolved {
  const v = s.value;
  if (s.quoted) return { tag: '!!str', value: v };
  if (['', '~', 'null', 'Null', 'NULL'].includes(v)) return { tag: '!!null' };
  if (['true', 'True', 'TRUE'].includes(v)) return { tag: '!!bool', value: true };
  if (['false', 'False', 'FALSE'].includes(v)) return { tag: '!!bool', value: false };
  if (/^[-+]?\.(inf|Inf|INF)$/.test(v)) return { tag: '!!float', value: v.startsWith('-') ? -Infinity : Infinity };
  if (/^\.(nan|NaN|NAN)$/.test(v)) return { tag: '!!float', value: NaN };
  if (!/^[-+.0-9]/.test(v)) return { tag: '!!str', value: v };
  if (YAML_TIMESTAMP.test(v)) return { tag: '!!timestamp', value: v };
  const plain = v.replace(/_/g, '');
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(plain);
  if (m) {
    const digits = m[2]!;
    // BigInt() reads 0x/0o/0b itself; a bare leading 0 means octal in Go's base 0.
    const magnitude = /^0[0-7]+$/.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits.toLowerCase());
    const n = m[1] === '-' ? -magnitude : magnitude;
    if (n >= INT64_MIN && n <= UINT64_MAX) return { tag: '!!int', value: n };
  }
  if (YAML_FLOAT.test(plain)) return { tag: '!!float', value: Number(plain) };
  return { tag: '!!str', value: v };
}

/** A node as yaml.v3 names it in type errors: ``!!str `value` `` (long values cut), `!!seq`, `!!map`. */
export function describeNode(n: YamlNode): string {
  if (n.kind !== 'scalar') return n.kind === 'seq' ? '!!seq' : '!!map';
  const shown = n.value.length > 10 ? n.value.slice(0, 7) + '...' : n.value;
  return `${resolveScalar(n).tag} \`${shown}\``;
}

const OLD_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const OLD_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

/**
 * A YAML 1.1 boolean word (`yes`, `off`, …): yaml.v3 still accepts them for bool targets and
 * quotes them when writing strings, so YAML 1.1 readers keep them strings. Undefined otherwise.
 */
export function oldBool(s: string): boolean | undefined {
  return OLD_TRUE.has(s) ? true : OLD_FALSE.has(s) ? false : undefined;
}

// ---- writing ----

export type YamlScalarOut = string | number | boolean;
export interface YamlMapOut {
  readonly [key: string]: YamlScalarOut | readonly YamlScalarOut[] | YamlMapOut | undefined;
}

const PLAIN_SAFE = /^[\p{L}\p{N}_./](?:[\p{L}\p{N}_./+ -]*[\p{L}\p{N}_./+-])?$/u;

const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u00a0': '\\_',
  '\u2028': '\\L',
  '\u2029': '\\P',
  '\ufeff': '\\uFEFF',
};

/** A string as a YAML scalar that reads back as exactly that string. */
export function quoteYamlScalar(s: string): string {
  const plain: YamlScalar = { kind: 'scalar', value: s, quoted: false, line: 0 };
  if (PLAIN_SAFE.test(s) && oldBool(s) === undefined && resolveScalar(plain).tag === '!!str') return s;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += ESCAPES[ch] ?? (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ? `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}` : ch);
  }
  return out + '"';
}

function scalarOut(v: YamlScalarOut): string {
  return typeof v === 'string' ? quoteYamlScalar(v) : String(v);
}

function emitMap(map: YamlMapOut, indent: string): string {
  let out = '';
  for (const [key, v] of Object.entries(map)) {
    if (v === undefined) continue;
    const head = `${indent}${quoteYamlScalar(key)}:`;
    if (Array.isArray(v)) {
      const items = v as readonly YamlScalarOut[];
      out += items.length === 0 ? `${head} []\n` : `${head}\n` + items.map((x) => `${indent}    - ${scalarOut(x)}\n`).join('');
    } else if (typeof v === 'object') {
      const inner = emitMap(v as YamlMapOut, indent + '    ');
      out += inner === '' ? `${head} {}\n` : `${head}\n${inner}`;
    } else {
      out += `${head} ${scalarOut(v as YamlScalarOut)}\n`;
    }
  }
  return out;
}

/** A mapping in yaml.v3's block style (4-space indentation); `{}` when it has no entries. */
export function encodeYaml(map: YamlMapOut): string {
  return emitMap(map, '') || '{}\n';
}
