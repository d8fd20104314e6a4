/**
 * Colors (CONTRACT §1.4, D2), decided for stdout and stderr separately. Styles wrap only ids,
 * names, tags and decorations — never a phrase that scripts match.
 */

export interface ColorSettings {
  /** `--no-color`. */
  noColor: boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * Off with `--no-color` or `NO_COLOR` (present, even empty); else on with a non-empty
 * `FORCE_COLOR` other than `0`; else off with `TERM=dumb`; else on iff the stream is a TTY.
 */
export function colorEnabled(stream: { isTTY?: boolean }, { noColor, env }: ColorSettings): boolean {
  if (noColor || env['NO_COLOR'] !== undefined) return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

export interface Palette {
  readonly enabled: boolean;
  success(s: string): string;
  error(s: string): string;
  /** Warnings and highlights. */
  warning(s: string): string;
  /** Snapshot ids. */
  id(s: string): string;
  tag(s: string): string;
  header(s: string): string;
  dim(s: string): string;
  info(s: string): string;
  /** Commands quoted in guidance (`jvs history`): bold + dim. */
  code(s: string): string;
}

const RESET = '\x1b[0m';

/**
 * Plain `ESC[<code>m text ESC[0m` wrapping: a style around a styled part ends at the inner
 * reset (dim around a cyan id), as v8.2's output does — kept on purpose.
 */
const sgr =
  (...codes: number[]) =>
  (s: string): string =>
    codes.map((c) => `\x1b[${c}m`).join('') + s + RESET;

const identity = (s: string): string => s;

const COLORED: Palette = {
  enabled: true,
  success: sgr(32),
  error: sgr(31),
  warning: sgr(33),
  id: sgr(36),
  tag: sgr(34),
  header: sgr(1),
  dim: sgr(2),
  info: sgr(36),
  code: sgr(1, 2),
};

const PLAIN: Palette = {
  enabled: false,
  success: identity,
  error: identity,
  warning: identity,
  id: identity,
  tag: identity,
  header: identity,
  dim: identity,
  info: identity,
  code: identity,
};

export const palette = (enabled: boolean): Palette => (enabled ? COLORED : PLAIN);
