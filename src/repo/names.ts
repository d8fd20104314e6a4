/**
 * Validation of every name, tag and id that comes from a user or a file before it touches the
 * file system (CONTRACT §5.5, D11).
 */
import { JvsError } from '../errors.js';

const NAME_CHARS = /^[a-zA-Z0-9._-]+$/;
const MAX_NAME_BYTES = 255;
const CONTROL = /\p{Cc}/u;
/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's `%q` (strconv.Quote) of a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '"':
        out += '\\"';
        continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate is invalid UTF-8 in Go, which shows the replacement character.
      out += '\ufffd';
    } else if (PRINTABLE.test(ch)) {
      out += ch;
    } else if (cp < 0x80) {
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    } else if (cp <= 0xffff) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else {
      out += `\\U${cp.toString(16).padStart(8, '0')}`;
    }
  }
  return out + '"';
}

/**
 * Checks a worktree or repository name; the first failing rule of §5.5 wins. The rules run on
 * the NFC form so that a decomposed `..` or control sequence cannot slip through; callers keep
 * using the original string.
 */
export function nameProblem(name: string): string | undefined {
  const n = name.normalize('NFC');
  if (n === '') return 'name must not be empty';
  if (n.includes('..')) return `name must not contain '..': ${name}`;
  if (n === '.') return "name must not be '.': .";
  if (n.includes('/') || n.includes('\\')) return `name must not contain separators: ${name}`;
  if (CONTROL.test(n)) return `name must not contain control characters: ${goQuote(name)}`;
  if (!NAME_CHARS.test(n)) return `name must match [a-zA-Z0-9._-]+: ${name}`;
  // Ours: a longer name cannot be a directory on any common file system (NAME_MAX).
  if (n.length > MAX_NAME_BYTES) return `name must be at most ${MAX_NAME_BYTES} characters: ${name}`;
  return undefined;
}

/** Throws `E_NAME_INVALID: <rule>` (callers add their context). */
export function validateName(name: string): void {
  const p = nameProblem(name);
  if (p !== undefined) throw new JvsError('E_NAME_INVALID', `E_NAME_INVALID: ${p}`);
}

export function tagProblem(tag: string): string | undefined {
  if (tag === '') return 'tag must not be empty';
  if (!NAME_CHARS.test(tag)) return `tag must match [a-zA-Z0-9._-]+: ${tag}`;
  return undefined;
}

export function validateTag(tag: string): void {
  const p = tagProblem(tag);
  if (p !== undefined) throw new JvsError('E_NAME_INVALID', `E_NAME_INVALID: ${p}`);
}

/**
 * Whether an id (snapshot id, plan id, pin file name, …) may be joined into a path: non-empty,
 * not `.`/`..`, no separator or NUL.
 */
export function isSafeComponent(id: string): boolean {
  return id !== '' && id !== '.' && id !== '..' && !/[/\\\0]/.test(id);
}

/** The shape of ids JVS writes: `printf("%013d-%s", millis, 8 hex)`. */
export const SNAPSHOT_ID = /^\d{13}-[0-9a-f]{8}$/;
