/**
 * Canonical containment (CONTRACT §5.5, D11): a path built from a name or id must, once
 * symlinks in its existing ancestors are resolved, lie under the canonical repository root —
 * checked before it is created, written, renamed or deleted.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { JvsError } from '../errors.js';
import { isUnder } from '../snapshot/paths.js';

/** The canonical form of `p`: realpath of its deepest existing ancestor plus the rest. */
async function canonical(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const parent = dirname(p);
    if (parent === p) return p;
    return join(await canonical(parent), basename(p));
  }
}

/** Throws `E_PATH_ESCAPE: <path> is outside the repository` unless `path` resolves under `root`. */
export async function assertInside(root: string, path: string): Promise<void> {
  const [r, c] = await Promise.all([canonical(root), canonical(path)]);
  if (!isUnder(r, c)) throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: ${path} is outside the repository`);
}
