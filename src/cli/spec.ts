/**
 * The shape of the command tree (CONTRACT §1.1). The catalogue (catalogue.ts) fills it in for
 * every command; the parser, help, completion and the CLI reference all read it, so a flag or
 * an argument rule is written down once.
 */

/**
 * How a flag's value is read (pflag types): `bool` takes no value (`--x`, `--x=false`), `int`
 * is Go's strconv.ParseInt(s, 0, 64), `list` is a repeatable string slice whose every value is
 * one CSV record (`--tag a,b` = two values, `--tag ""` = none).
 */
export type FlagKind = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  /** Long name without dashes: `limit`. */
  name: string;
  /** One-letter shorthand without the dash: `n`. */
  short?: string;
  kind: FlagKind;
  /** Placeholder of the value in help (`N`, `REF`); value-taking kinds only. */
  value?: string;
  usage: string;
}

/** How many positionals a command takes (§2.13) and what cobra says when the count is wrong. */
export type ArgRule =
  /**
   * `accepts <n> arg(s), received <m>` (also the zero-argument commands). With
   * `pathsAfterDash`, only the arguments before `--` count; those after it are paths (restore).
   */
  | { exactly: number; pathsAfterDash?: true }
  /** `accepts at most <n> arg(s), received <m>`, or `jvs: <tooMany>` when given (diff). */
  | { atMost: number; tooMany?: string }
  /** `accepts between <min> and <max> arg(s), received <m>`. */
  | { between: [number, number] }
  /** Extra arguments are silently dropped (v8.2 commands without an argument check). */
  | { ignoredAfter: number }
  /** Any number (help). */
  | { any: true };

export interface Example {
  command: string;
  /** What it does; one line. */
  comment: string;
}

export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  /** One line for command lists. */
  summary: string;
  /** The help text's opening paragraph(s). */
  description: string;
  /** The arguments part of the usage line, e.g. `<name>` or `[<from> [<to>]]`. */
  usage?: string;
  flags?: readonly FlagSpec[];
  /** Leaf commands only. */
  args?: ArgRule;
  /** The only values the (single) argument may take; offered by shell completion. */
  argChoices?: readonly string[];
  examples?: readonly Example[];
  /** Subcommands: a group (or the root) has children and no arguments of its own. */
  children?: readonly CommandSpec[];
}

/** Flags valid on every command, before or after the subcommand (§1.2). */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'json', kind: 'bool', usage: 'Print JSON on stdout; errors become one JSON object on stderr' },
  { name: 'debug', kind: 'bool', usage: 'Print debugging details (and stack traces) on stderr' },
  { name: 'no-progress', kind: 'bool', usage: 'Never draw progress bars' },
  { name: 'no-color', kind: 'bool', usage: 'Never color the output' },
  { name: 'version', kind: 'bool', usage: 'Print the version and exit' },
];

/** `-h, --help`, which cobra gives every command. */
export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'bool', usage: 'Show help for the command' };

/** A node of the tree with the path that leads to it (`['worktree', 'create']`). */
export interface Located {
  spec: CommandSpec;
  path: readonly string[];
}

export const pathKey = (path: readonly string[]): string => path.join(' ');

/** `jvs worktree create` (canonical names, never aliases, as cobra's CommandPath). */
export const commandPath = (path: readonly string[]): string => ['jvs', ...path].join(' ');

export function findChild(spec: CommandSpec, word: string): CommandSpec | undefined {
  return spec.children?.find((c) => c.name === word || (c.aliases?.includes(word) ?? false));
}

/** The node at `path` (canonical names), if the tree has it. */
export function nodeAt(root: CommandSpec, path: readonly string[]): CommandSpec | undefined {
  let node: CommandSpec | undefined = root;
  for (const word of path) node = node && findChild(node, word);
  return node;
}

/** Every node of the tree, parents before children, the root first (path []). */
export function* walkTree(root: CommandSpec, path: readonly string[] = []): Generator<Located> {
  yield { spec: root, path };
  for (const child of root.children ?? []) yield* walkTree(child, [...path, child.name]);
}

/**
 * The tree cut down to the leaves `keep` accepts, dropping groups left empty: unimplemented
 * commands keep their help text in the catalogue but are unknown to the parser.
 */
export function pruneTree(spec: CommandSpec, keep: (key: string) => boolean, path: readonly string[] = []): CommandSpec | undefined {
  if (spec.children === undefined) return keep(pathKey(path)) ? spec : undefined;
  const children = spec.children.flatMap((c) => pruneTree(c, keep, [...path, c.name]) ?? []);
  if (children.length === 0 && path.length > 0) return undefined;
  return { ...spec, children };
}

/** The flags a command accepts: its own, then `--help`, then the globals. */
export function flagsOf(spec: CommandSpec): readonly FlagSpec[] {
  return [...(spec.flags ?? []), HELP_FLAG, ...GLOBAL_FLAGS];
}

/** pflag's name for a flag in messages: `-n, --limit` or `--json`. */
export function flagLabel(f: FlagSpec): string {
  return f.short === undefined ? `--${f.name}` : `-${f.short}, --${f.name}`;
}

/**
 * `--name` and `-x` of every flag in the tree that takes a value, sorted: looking for command
 * words, the parser and the completion scripts skip the word after one of these.
 */
export function valueFlagWords(root: CommandSpec): string[] {
  const words = new Set<string>();
  for (const { spec } of walkTree(root)) {
    for (const f of spec.flags ?? []) {
      if (f.kind === 'bool') continue;
      words.add(`--${f.name}`);
      if (f.short !== undefined) words.add(`-${f.short}`);
    }
  }
  return [...words].sort();
}
