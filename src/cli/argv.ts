/**
 * Command-line parsing with cobra/pflag semantics and messages (CONTRACT §1.1, §1.5, §2.13).
 * Clipanion's own parser differs (no `-n5`, no values starting with `-`, no global flags between
 * positionals, its own error texts), so the command line is parsed here against the catalogue
 * and clipanion receives a canonical form it cannot misread (app.ts).
 *
 * Two passes, as cobra does: find the command from the words that are not flags (skipping the
 * value of a flag that takes one), then parse every other token with that command's flags.
 */
import { JvsError, usageError } from '../errors.js';
import { goQuote } from '../repo/names.js';
import { parseGoBool, parseGoInt, readCsvRecord } from './goparse.js';
import { commandPath, findChild, flagLabel, flagsOf, GLOBAL_FLAGS, HELP_FLAG, valueFlagWords, type CommandSpec, type FlagSpec } from './spec.js';

export interface Globals {
  json: boolean;
  debug: boolean;
  noProgress: boolean;
  noColor: boolean;
  version: boolean;
}

export type FlagValue = boolean | string | number | string[];

export interface Invocation {
  /** Canonical command names (`worktree`, never `wt`); [] for the root. */
  path: string[];
  spec: CommandSpec;
  globals: Globals;
  help: boolean;
  /** The command's own flags that were given, by long name; lists accumulate. */
  flags: Map<string, FlagValue>;
  positionals: string[];
  /** How many positionals came before `--`, or -1 without `--` (cobra's ArgsLenAtDash). */
  dashAt: number;
}

const GLOBAL_KEYS: Record<string, keyof Globals> = {
  json: 'json',
  debug: 'debug',
  'no-progress': 'noProgress',
  'no-color': 'noColor',
  version: 'version',
};

const noGlobals = (): Globals => ({ json: false, debug: false, noProgress: false, noColor: false, version: false });

/** `See 'jvs worktree create --help'.` — the JSON hint of every usage error (§1.5). */
export const usageHint = (path: readonly string[]): string => `See '${commandPath(path)} --help'.`;

/** cobra's case-insensitive Levenshtein distance. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/**
 * `unknown command "<w>" for "jvs …"`; at the top level with cobra's suggestions (distance ≤ 2
 * or a prefix), printed as blank line, `Did you mean this?`, one `\t<name>` each, blank line.
 */
function unknownCommand(word: string, node: CommandSpec, path: readonly string[]): JvsError {
  const message = `unknown command ${goQuote(word)} for ${goQuote(commandPath(path))}`;
  const suggestions =
    path.length > 0
      ? []
      : (node.children ?? [])
          .filter((c) => c.name !== 'help')
          .map((c) => c.name)
          .filter((n) => distance(word, n) <= 2 || n.toLowerCase().startsWith(word.toLowerCase()))
          .sort();
  return new JvsError('E_USAGE', message, {
    shape: 'usage',
    hint: usageHint(path),
    blockLines: suggestions.length === 0 ? [] : ['', 'Did you mean this?', ...suggestions.map((s) => `\t${s}`), ''],
  });
}

const takesValue = (f: FlagSpec): boolean => f.kind !== 'bool';

/** Pass 1: the command named by the leading words, and which argv indices were those words. */
export function findCommand(argv: readonly string[], root: CommandSpec): { spec: CommandSpec; path: string[]; words: Set<number> } {
  const valueFlags = new Set(valueFlagWords(root));
  let spec = root;
  const path: string[] = [];
  const words = new Set<number>();
  for (let i = 0; i < argv.length && spec.children !== undefined; i++) {
    const s = argv[i]!;
    if (s === '--') break;
    if (s.startsWith('-')) {
      if (!s.includes('=') && valueFlags.has(s)) i++;
      continue;
    }
    if (s === '') continue;
    const child = findChild(spec, s);
    if (child === undefined) throw unknownCommand(s, spec, path);
    spec = child;
    path.push(child.name);
    words.add(i);
  }
  return { spec, path, words };
}

/** Pass 2 state: pflag's FlagSet.Parse over the remaining tokens. */
class FlagParser {
  readonly globals = noGlobals();
  help = false;
  readonly flags = new Map<string, FlagValue>();
  private readonly known: readonly FlagSpec[];

  constructor(
    spec: CommandSpec,
    private readonly path: readonly string[],
  ) {
    this.known = flagsOf(spec);
  }

  private fail(message: string): JvsError {
    return usageError(message, usageHint(this.path));
  }

  /** pflag's Set: convert, or `invalid argument "<v>" for "<flag>" flag: <Go error>`. */
  private set(f: FlagSpec, value: string): void {
    try {
      switch (f.kind) {
        case 'bool': {
          const v = parseGoBool(value);
          const g = GLOBAL_FLAGS.includes(f) ? GLOBAL_KEYS[f.name] : undefined;
          if (g !== undefined) this.globals[g] = v;
          else if (f === HELP_FLAG) this.help = v;
          else this.flags.set(f.name, v);
          return;
        }
        case 'int':
          this.flags.set(f.name, parseGoInt(value));
          return;
        case 'string':
          this.flags.set(f.name, value);
          return;
        case 'list': {
          const prev = this.flags.get(f.name);
          this.flags.set(f.name, [...(Array.isArray(prev) ? prev : []), ...readCsvRecord(value)]);
          return;
        }
      }
    } catch (e) {
      throw this.fail(`invalid argument ${goQuote(value)} for ${goQuote(flagLabel(f))} flag: ${(e as Error).message}`);
    }
  }

  /** `--name`, `--name=value`, `--name value`; returns how many following tokens it used. */
  long(s: string, next: string | undefined): number {
    const body = s.slice(2);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) throw this.fail(`bad flag syntax: ${s}`);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const f = this.known.find((k) => k.name === name);
    if (f === undefined) throw this.fail(`unknown flag: --${name}`);
    if (eq >= 0) {
      this.set(f, body.slice(eq + 1));
      return 0;
    }
    if (!takesValue(f)) {
      this.set(f, 'true');
      return 0;
    }
    if (next === undefined) throw this.fail(`flag needs an argument: ${s}`);
    this.set(f, next);
    return 1;
  }

  /** `-abc` (booleans), `-n5`, `-n=5`, `-n 5`; returns how many following tokens it used. */
  short(s: string, next: string | undefined): number {
    let rest = s.slice(1);
    while (rest !== '') {
      const c = rest[0]!;
      const f = this.known.find((k) => k.short === c);
      if (f === undefined) throw this.fail(`unknown shorthand flag: '${c}' in -${rest}`);
      if (rest.length > 2 && rest[1] === '=') {
        this.set(f, rest.slice(2));
        return 0;
      }
      if (!takesValue(f)) {
        this.set(f, 'true');
        rest = rest.slice(1);
        continue;
      }
      if (rest.length > 1) {
        this.set(f, rest.slice(1));
        return 0;
      }
      if (next === undefined) throw this.fail(`flag needs an argument: '${c}' in -${rest}`);
      this.set(f, next);
      return 1;
    }
    return 0;
  }
}

/** Parses a command line (without `node` and the script). Throws E_USAGE errors. */
export function parseArgv(argv: readonly string[], root: CommandSpec): Invocation {
  const { spec, path, words } = findCommand(argv, root);
  const tokens = argv.filter((_, i) => !words.has(i));
  const p = new FlagParser(spec, path);
  const positionals: string[] = [];
  let dashAt = -1;
  for (let i = 0; i < tokens.length; i++) {
    const s = tokens[i]!;
    if (s === '--') {
      dashAt = positionals.length;
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    if (s.startsWith('--')) i += p.long(s, tokens[i + 1]);
    else if (s.startsWith('-') && s.length > 1) i += p.short(s, tokens[i + 1]);
    else positionals.push(s);
  }
  const first = positionals[0];
  // A root or group takes no arguments: what is left after `--` is still an unknown command.
  if (spec.children !== undefined && first !== undefined && !p.help) throw unknownCommand(first, spec, path);
  return { path, spec, globals: p.globals, help: p.help, flags: p.flags, positionals, dashAt };
}

/**
 * The global flags as far as they can be seen without a successful parse: decides how a usage
 * error itself is rendered (`jvs --json bogus` answers in JSON).
 */
export function scanGlobals(argv: readonly string[]): Globals {
  const g = noGlobals();
  for (const s of argv) {
    if (s === '--') break;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(s);
    const key = m === null ? undefined : GLOBAL_KEYS[m[1]!];
    if (m === null || key === undefined) continue;
    try {
      g[key] = parseGoBool(m[2] ?? 'true');
    } catch {
      // The parse reports the bad value; here it only must not decide anything.
    }
  }
  return g;
}

/**
 * Applies the command's argument rule (§2.13) and returns the positionals it keeps (extras of
 * v8.2's unchecked commands are dropped).
 */
export function checkArgs(inv: Invocation): string[] {
  const rule = inv.spec.args ?? { exactly: 0 };
  const all = inv.positionals;
  const fail = (message: string): JvsError => usageError(message, usageHint(inv.path));
  if ('exactly' in rule) {
    const counted = rule.pathsAfterDash === true && inv.dashAt >= 0 ? inv.dashAt : all.length;
    if (counted !== rule.exactly) throw fail(`accepts ${rule.exactly} arg(s), received ${counted}`);
  } else if ('atMost' in rule) {
    if (all.length > rule.atMost) {
      if (rule.tooMany === undefined) throw fail(`accepts at most ${rule.atMost} arg(s), received ${all.length}`);
      throw new JvsError('E_USAGE', rule.tooMany, { hint: usageHint(inv.path) });
    }
  } else if ('between' in rule) {
    const [min, max] = rule.between;
    if (all.length < min || all.length > max) throw fail(`accepts between ${min} and ${max} arg(s), received ${all.length}`);
  } else if ('ignoredAfter' in rule) {
    return all.slice(0, rule.ignoredAfter);
  }
  return all;
}
