import { JvsCoreError } from '../errors.js';

/** The fallback throws the same error class as the native side. */
export { JvsCoreError } from '../errors.js';

/** Display form of a raw name. Lossy for non-UTF-8 bytes, which is acceptable for messages only. */
export function displayPath(path: Buffer | string): string {
  return typeof path === 'string' ? path : path.toString('utf8');
}

/** Node's errno name of a failed system call, if err is one. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code)) {
    return err.code;
  }
  return undefined;
}

/**
 * The errno name reported for a failed clone or probe (never undefined). libuv names Linux's
 * EOPNOTSUPP "ENOTSUP" (the same number there); the native side says EOPNOTSUPP, and reports
 * must agree.
 */
export function errnoName(err: unknown): string {
  const errno = errnoOf(err) ?? 'EIO';
  return errno === 'ENOTSUP' && process.platform === 'linux' ? 'EOPNOTSUPP' : errno;
}

/**
 * Wraps a failed system call naming the relative path: E_NOT_FOUND for ENOENT, E_EXISTS for
 * EEXIST, else E_IO (the classes the native side gives the same errnos). Node's own message
 * embeds the absolute path as a lossy string, so only its description ("permission denied") is
 * kept. Errors that already are core errors pass through unchanged.
 */
export function ioError(err: unknown, action: string, path: Buffer | string): JvsCoreError {
  if (err instanceof JvsCoreError) return err;
  const errno = errnoOf(err);
  const shown = displayPath(path);
  const raw = err instanceof Error ? err.message : String(err);
  const description = /^E[A-Z0-9]+: ([^,]+)/.exec(raw)?.[1] ?? raw;
  const message = errno === undefined ? `${action} ${shown}: ${raw}` : `${action} ${shown}: ${description} (${errno})`;
  const code = errno === 'ENOENT' ? 'E_NOT_FOUND' : errno === 'EEXIST' ? 'E_EXISTS' : 'E_IO';
  return new JvsCoreError(code, message, { ...(errno === undefined ? {} : { errno }), path: shown, cause: err });
}

/** The error for a FIFO, socket or device where content or a copy is needed (CONTRACT §1.6). */
export function unsupportedFile(kind: 'fifo' | 'socket' | 'chardev' | 'blockdev', path: Buffer): JvsCoreError {
  const what = kind === 'fifo' || kind === 'socket' ? kind : 'device';
  const shown = displayPath(path);
  return new JvsCoreError('E_UNSUPPORTED_FILE', `unsupported file type (${what}): ${shown}`, { path: shown });
}

export function cancelled(): JvsCoreError {
  return new JvsCoreError('E_CANCELLED', 'operation cancelled');
}

/** Throws E_CANCELLED when the signal has fired; called between files, never mid-file. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw cancelled();
}
