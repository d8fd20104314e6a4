/**
 * Paths given by users inside a worktree: `snapshot --paths`, `restore -- <path>`, `ls`/`cat`
 * (CONTRACT §3.4 step 1, §5.5). Cleaned as Go's path.Clean does, relative, no `..`, and — for
 * paths that must exist — still inside the payload once symlinks are resolved.
 */
import { lstat, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

import { JvsError } from '../errors.js';

/** Go's path.Clean for `/`-separated paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Clean + relative + no `..` (the checks that need no file system). Returns the cleaned path. */
export function checkRelativePath(p: string): string {
  const c = cleanPath(p);
  if (c.startsWith('/')) throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: path must be relative: ${p}`);
  if (c.includes('..')) throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: path cannot contain '..': ${p}`);
  return c;
}

/** Whether `child` is `root` or below it (both canonical). */
export function isUnder(root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Validates `--paths` against the payload: cleaned, relative, no `..`, existing, and inside the
 * payload after resolving symlinks in its ancestors. Duplicates are dropped keeping the first.
 */
export async function validatePartialPaths(payload: string, paths: readonly string[]): Promise<string[]> {
  const rootReal = await realpath(payload);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    const c = checkRelativePath(p);
    const abs = join(payload, c);
    try {
      await lstat(abs);
    } catch {
      throw new JvsError('E_NOT_FOUND', `path does not exist: ${p}`);
    }
    // The entry itself may be a symlink (it is snapshotted as one); its ancestors must not
    // lead outside the payload. `.` is the payload itself.
    if (c !== '.' && !isUnder(rootReal, await realpath(join(abs, '..')))) {
      throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: path is outside worktree: ${p}`);
    }
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  }
  return out;
}
