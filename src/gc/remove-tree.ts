/**
 * Deleting a snapshot directory, a worktree payload or a temporary tree. Snapshots keep their
 * payload's permission bits, so a tree may hold directories without write (or search)
 * permission, whose entries cannot be unlinked by their owner; those are opened up first. Names
 * are handled as bytes (they need not be UTF-8). A btrfs subvolume goes in one ioctl.
 */
import { chmod, lstat, readdir, rm } from 'node:fs/promises';

import { errnoCode } from '../fs/go-errors.js';
import { isSubvolume, subvolumeError } from '../fs/subvolume.js';
import { getCore } from '../native/index.js';

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

/**
 * Removes `path` and everything under it; a missing path is fine. A subvolume the ioctl may not
 * delete (no privilege) or cannot (it holds other subvolumes) is removed entry by entry, which
 * works when it is writable (rmdir deletes an empty subvolume without privilege, Linux ≥ 4.18).
 * A read-only one refuses that at its first entry (EROFS), so nothing of it is lost, and the
 * error is the refusal, which names the missing permission.
 */
export async function removeTree(path: string): Promise<void> {
  let refusal: unknown;
  if (await isSubvolume(path)) {
    try {
      await getCore().deleteSubvolume(path);
      return;
    } catch (e) {
      refusal = subvolumeError(e);
    }
  }
  try {
    await removeEntries(path);
  } catch (e) {
    throw refusal ?? e;
  }
}

async function removeEntries(path: string): Promise<void> {
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
