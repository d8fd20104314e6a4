/**
 * JVS errors: every failure has a stable class (CONTRACT §1.6) and renders in the shapes of
 * §1.5 — one `jvs: <message>` line, a two-line lookup block, or a bare usage line — and as the
 * JSON error object `{"error":{"code","message","hint"}}`.
 */

export const ERROR_CLASSES = [
  'E_USAGE',
  'E_NOT_A_REPO',
  'E_NOT_IN_WORKTREE',
  'E_NOT_FOUND',
  'E_AMBIGUOUS_REF',
  'E_NAME_INVALID',
  'E_PATH_ESCAPE',
  'E_EXISTS',
  'E_DETACHED',
  'E_LOCKED',
  'E_DESCRIPTOR_CORRUPT',
  'E_PAYLOAD_HASH_MISMATCH',
  'E_PARTIAL_SNAPSHOT',
  'E_LINEAGE_BROKEN',
  'E_AUDIT_CHAIN_BROKEN',
  'E_GC_PLAN_MISMATCH',
  'E_FORMAT_UNSUPPORTED',
  'E_UNSUPPORTED_FILE',
  'E_IO',
] as const;

export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** How the text form is drawn (CONTRACT §1.5). */
export type ErrorShape =
  /** `jvs: <message>` on one line (most errors). */
  | 'line'
  /** A lookup block printed as is, without the `jvs:` prefix (not found, not a repository). */
  | 'block'
  /** A usage error printed bare (`unknown flag: --x`). */
  | 'usage';

export interface JvsErrorOptions {
  /** Guidance: the JSON `hint`, and the text a lookup block or refusal prints after the message. */
  hint?: string;
  shape?: ErrorShape;
  /** Lines after the first in a lookup block (text mode), e.g. `  Did you mean: …?`. */
  blockLines?: string[];
  /** Guidance printed on stdout in text mode (detached-state refusals, §1.5). */
  stdout?: string;
  cause?: unknown;
}

export class JvsError extends Error {
  readonly code: ErrorClass;
  readonly hint: string;
  readonly shape: ErrorShape;
  readonly blockLines: readonly string[];
  readonly stdout: string | undefined;

  /**
   * `message` is the text-mode line without `jvs: `, with the class embedded where v8.2 embeds
   * it (e.g. `create worktree: E_NAME_INVALID: name must not be empty`).
   */
  constructor(code: ErrorClass, message: string, opts: JvsErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'JvsError';
    this.code = code;
    this.hint = opts.hint ?? '';
    this.shape = opts.shape ?? 'line';
    this.blockLines = opts.blockLines ?? [];
    this.stdout = opts.stdout;
  }

  /** The JSON `message`: the text line without embedded `E_…: ` class prefixes (§1.5). */
  get jsonMessage(): string {
    return this.message.replace(/\bE_[A-Z_]+: /g, '');
  }

  /** Prefixes a context, as Go's `fmt.Errorf("<context>: %w", err)` does. */
  withContext(context: string): JvsError {
    const e = new JvsError(this.code, `${context}: ${this.message}`, {
      hint: this.hint,
      shape: this.shape,
      blockLines: [...this.blockLines],
      cause: this,
    });
    return e;
  }
}

export function usageError(message: string, hint = ''): JvsError {
  return new JvsError('E_USAGE', message, { shape: 'usage', hint });
}

export function isJvsError(e: unknown): e is JvsError {
  return e instanceof JvsError;
}
