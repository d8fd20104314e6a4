/**
 * What every command module builds on. A command is a clipanion Command whose flags are bound
 * with the `flag` helpers below (their names, kinds and help come from the catalogue) and whose
 * positionals are clipanion positionals; it parses nothing itself: app.ts has already parsed
 * and checked the command line (argv.ts) and hands clipanion a canonical form of it.
 */
import { Command, Option, type BaseContext } from 'clipanion';
import type { StrictValidator, ValidationState } from 'typanion';

import type { JvsError } from '../errors.js';
import type { RepositoryOptions } from '../repo/repository.js';
import type { Invocation } from './argv.js';
import { ROOT } from './catalogue.js';
import type { Output } from './output.js';
import { renderReportFailure } from './render-error.js';
import { nodeAt, type FlagKind, type FlagSpec } from './spec.js';

export interface JvsContext extends BaseContext {
  out: Output;
  /** The parsed command line, for what clipanion cannot express (restore's `--`). */
  invocation: Invocation;
}

export abstract class JvsCommand extends Command<JvsContext> {
  protected get out(): Output {
    return this.context.out;
  }

  /**
   * Ends a report command (`verify`, `doctor`) whose document is already printed: exit 0 when
   * `failure` is undefined; else exit 1 with, in JSON mode, the error object as the last stderr
   * line, and in text mode nothing more (§1.5). Use as `return this.report(verifyError(r))`.
   */
  protected report(failure: JvsError | undefined): number {
    return failure === undefined ? 0 : renderReportFailure(failure, this.out);
  }

  /**
   * Options for opening a Repository: warnings and notes to stderr, and this command line in
   * the lock records other processes report when they wait (§3.13 `command`).
   */
  protected repoOptions(): RepositoryOptions {
    return { onWarning: this.out.warn, onNote: this.out.note, command: ['jvs', ...process.argv.slice(2)].join(' ') };
  }
}

/** The catalogue's flag `--name` of `command` (`'worktree create'`), which must have `kind`. */
function flagSpec(command: string, name: string, kind: FlagKind): FlagSpec {
  const f = nodeAt(ROOT, command.split(' '))?.flags?.find((x) => x.name === name);
  if (f?.kind !== kind) throw new Error(`catalogue: "jvs ${command}" has no ${kind} flag --${name}`);
  return f;
}

/**
 * The validator of int flags: their canonical value is a decimal argv.ts has checked, so it only
 * becomes a number. (typanion's isNumber() would do, but typanion ships CommonJS, and loading it
 * through Node's CommonJS interop costs every command ~15 ms of start-up.)
 */
const toNumber = ((value: unknown, state?: ValidationState): value is number => {
  if (typeof value !== 'string' || state?.coercions === undefined || state.coercion === undefined) return false;
  state.coercions.push([state.p ?? '.', state.coercion.bind(null, Number(value))]);
  return true;
}) as StrictValidator<unknown, number>;

/**
 * Field initializers binding a command's flags, e.g. `limit = flag.int('history', 'limit')`.
 * Values arrive already converted and validated by argv.ts.
 */
export const flag = {
  bool: (command: string, name: string) => Option.Boolean(`--${name}`, false, { description: flagSpec(command, name, 'bool').usage }),
  string: (command: string, name: string) => Option.String(`--${name}`, { description: flagSpec(command, name, 'string').usage }),
  int: (command: string, name: string) =>
    Option.String(`--${name}`, { description: flagSpec(command, name, 'int').usage, validator: toNumber }),
  /** A repeatable CSV flag: every value already split into its records. */
  list: (command: string, name: string) => Option.Array(`--${name}`, [], { description: flagSpec(command, name, 'list').usage }),
};

/**
 * The command line in the one form clipanion gets: flags bound as `--name=value` (so values
 * starting with `-` stay values), then `--`, then the positionals.
 */
export function canonicalArgv(inv: Invocation, positionals: readonly string[]): string[] {
  const argv: string[] = [];
  for (const [name, value] of inv.flags) {
    if (value === true) argv.push(`--${name}`);
    else if (Array.isArray(value)) argv.push(...value.map((v) => `--${name}=${v}`));
    else if (value !== false) argv.push(`--${name}=${value}`);
  }
  return [...argv, '--', ...positionals];
}
