import type { CoreError } from './types.js';

/** The Error both core implementations throw (see CoreError in types.ts). */
export class JvsCoreError extends Error implements CoreError {
  readonly code: string;
  readonly errno?: string;
  readonly path?: string;

  constructor(code: string, message: string, extra: { errno?: string; path?: string; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'CoreError';
    this.code = code;
    if (extra.errno !== undefined) this.errno = extra.errno;
    if (extra.path !== undefined) this.path = extra.path;
  }
}

export function isCoreError(e: unknown): e is CoreError {
  return e instanceof Error && typeof (e as Partial<CoreError>).code === 'string';
}
