/**
 * The GC retention policy (CONTRACT §7 plan step 3): each field from its `gc plan` flag, else
 * from config.yaml `retention`, else the default.
 */
import { parseDuration } from '../encoding/duration.js';
import { JvsError } from '../errors.js';
import type { JvsConfig } from './config.js';

/** Default `keep_min_age`: 24 h. */
export const DEFAULT_KEEP_MIN_AGE_NS = 86_400_000_000_000n;

/** `gc plan` flags; undefined = not given. */
export interface RetentionFlags {
  /** `--keep-last N`. */
  keepLast?: number;
  /** `--keep-within D`, in ns (0 disables age retention). */
  keepWithin?: bigint;
  /** `--keep-tag T`...; an explicitly empty list overrides the config's tags. */
  keepTags?: readonly string[];
}

export interface EffectiveRetention {
  /** The N newest snapshots are retained. */
  keep_min_snapshots: number;
  /** Snapshots younger than this (ns) are retained; 0 (or less) retains none by age. */
  keep_min_age: bigint;
  /** Snapshots carrying any of these tags are retained. */
  keep_tags: string[];
}

function invalid(problem: string): JvsError {
  return new JvsError('E_IO', `load config: invalid retention.${problem}`);
}

/**
 * Resolves the policy. Config values are checked here, where they take effect (other commands
 * must not fail on them): a `within` that is no duration or a negative `keep` →
 * `load config: invalid retention.…` [E_IO].
 */
export function effectiveRetention(config: JvsConfig, flags: RetentionFlags = {}): EffectiveRetention {
  const r = config.retention;
  let keep = flags.keepLast;
  if (keep === undefined) {
    keep = r?.keep ?? 0;
    if (keep < 0) throw invalid(`keep: ${keep} (must be 0 or more)`);
  }
  let age = flags.keepWithin;
  if (age === undefined) {
    age = DEFAULT_KEEP_MIN_AGE_NS;
    if (r?.within) {
      try {
        age = parseDuration(r.within);
      } catch (e) {
        throw invalid(`within: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return { keep_min_snapshots: keep, keep_min_age: age, keep_tags: [...(flags.keepTags ?? r?.keep_tags ?? [])] };
}
