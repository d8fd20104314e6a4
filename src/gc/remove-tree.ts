/**
 * Deleting a snapshot directory. Snapshots keep their payload's permission bits, so a tree may
 * hold directories without write (or search) permission, whose entries cannot be unlinked by
 * their owner; those are opened up first. Names are handled as bytes (they need not be UTF-8).
 */
import { chmod, lstat, readdir, rm } from 'node:fs/promises';

import { errnoCode } from '../fs/go-errors.js';

const SLASH = Buffer.from('/');

/** Gives the owner rwx on every directory under (and including) `dir`, top down. */
async function openUp(dir: Buffer): Promise<void> {
  const st = await lstat(dir);
  if (!st.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) await chmod(dir, (st.mode & 0o7777) | 0o700);
  for (const e of await readdir(dir, { encoding: 'buffer', withFileTypes: true })) {
    if (e.isDirectory()) await openUp(Buffer.concat([dir, SLASH, e.name]));
  }
}

/** Removes `path` and everything under it; a missing path is fine. */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (e) {
    const code = errnoCode(e);
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
  }
  await openUp(Buffer.from(path));
  await rm(path, { recursive: true, force: true });
}
