/**
 * DURATION flag values (CONTRACT §1.1): Go duration syntax plus `d` and `w`, as nanoseconds.
 * An invalid value is a usage error worded like pflag's failed conversions (argv.ts):
 * `invalid argument "x" for "--keep-within" flag: time: invalid duration "x"`.
 */
import { usageError } from '../errors.js';
import { goQuote } from '../repo/names.js';
import { parseDuration } from '../encoding/duration.js';

/** Parses the value of the flag `--<flag>`; throws E_USAGE with Go's duration error. */
export function durationFlag(flag: string, value: string): bigint {
  try {
    return parseDuration(value);
  } catch (e) {
    throw usageError(`invalid argument ${goQuote(value)} for ${goQuote(`--${flag}`)} flag: ${e instanceof Error ? e.message : String(e)}`);
  }
}
