import type { CoreError } from './types.js';

/** Builds the Error both core implementations throw (see CoreError in types.ts). */
export function coreError(code: string, message: string, extra: { errno?: string; path?: string } = {}): CoreError {
  const err = new Error(message) as CoreError;
  err.name = 'CoreError';
  err.code = code;
  if (extra.errno !== undefined) err.errno = extra.errno;
  if (extra.path !== undefined) err.path = extra.path;
  return err;
}

export function isCoreError(e: unknown): e is CoreError {
  return e instanceof Error && typeof (e as Partial<CoreError>).code === 'string';
}
