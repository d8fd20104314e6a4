/**
 * I/O error text as Go prints it (`open <path>: no such file or directory`), because the
 * contract's messages embed Go's `*PathError` strings. Node's own messages differ (libuv text,
 * `ENOENT: …, open '<path>'`).
 */
import { getSystemErrorMap } from 'node:util';

/** Go's syscall error strings where they differ from libuv's or matter most. */
const GO_STRERROR: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EXDEV: 'invalid cross-device link',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
  EBUSY: 'device or resource busy',
  EINVAL: 'invalid argument',
  EMFILE: 'too many open files',
  EDQUOT: 'disk quota exceeded',
};

export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The strerror part alone, Go-style. */
export function goStrerror(e: unknown): string {
  const code = errnoCode(e);
  if (code !== undefined) {
    if (GO_STRERROR[code]) return GO_STRERROR[code];
    const errno = (e as { errno?: number }).errno;
    const entry = typeof errno === 'number' ? getSystemErrorMap().get(errno) : undefined;
    if (entry) return entry[1];
  }
  return e instanceof Error ? e.message : String(e);
}

/** `<op> <path>: <strerror>` as Go's *PathError prints. */
export function goPathError(op: string, path: string, e: unknown): string {
  return `${op} ${path}: ${goStrerror(e)}`;
}
