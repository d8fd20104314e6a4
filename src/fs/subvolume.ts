/**
 * btrfs subvolumes as JVS uses them (docs/architecture.md, "btrfs subvolumes"): worktree
 * payloads are made subvolumes where their snapshots could also be deleted again, so that each
 * snapshot is one O(1) subvolume snapshot (src/snapshot/btrfs.ts); and whatever deletes a tree
 * deletes a subvolume with one ioctl (src/gc/remove-tree.ts).
 */
import { mkdir, rmdir, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { JvsError } from '../errors.js';
import { getCore, isCoreError } from '../native/index.js';
import { tmpName } from './atomic.js';

const BTRFS_SUPER_MAGIC = 0x9123683e;

/** What to do when deleting a subvolume is refused (the error names the missing permission). */
export const DELETE_HINT = 'run jvs as root, or mount the file system with -o user_subvol_rm_allowed';

/** Whether `path` is the root of a btrfs subvolume; false when it is missing or unreadable. */
export async function isSubvolume(path: string): Promise<boolean> {
  return getCore()
    .isSubvolume(path)
    .catch(() => false);
}

async function onBtrfs(dir: string): Promise<boolean> {
  try {
    return (await statfs(dir)).type === BTRFS_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** A failed subvolume call as a one-line E_IO error; a refused deletion gets the hint. */
export function subvolumeError(e: unknown): JvsError {
  if (e instanceof JvsError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const refused = isCoreError(e) && (e.errno === 'EPERM' || e.errno === 'EACCES' || e.errno === 'EROFS');
  return new JvsError('E_IO', `E_IO: ${message}`, { cause: e, ...(refused ? { hint: DELETE_HINT } : {}) });
}

/**
 * Why subvolumes made in `dir` could not be deleted again by this process, or undefined when
 * they can: an empty probe subvolume `<dir>/.jvs-tmp-<digits>` is created and destroyed. The
 * refusal names `subject` (the tree it is about) instead of the probe. A probe the ioctl may not
 * destroy goes with rmdir (an empty subvolume needs no privilege for that).
 */
export async function deletionRefusal(dir: string, subject: string): Promise<JvsError | undefined> {
  const probe = join(dir, tmpName());
  const about = (e: unknown): JvsError => {
    const err = subvolumeError(e);
    return new JvsError(err.code, err.message.replace(probe, subject), { hint: err.hint, cause: e });
  };
  try {
    await getCore().createSubvolume(probe);
  } catch (e) {
    return about(e);
  }
  try {
    await getCore().deleteSubvolume(probe);
    return undefined;
  } catch (e) {
    await rmdir(probe).catch(() => undefined);
    return about(e);
  }
}

/**
 * Creates the missing worktree payload `path` as a btrfs subvolume when its parent is on btrfs
 * and snapshots of it could be deleted again (else `gc` could never free them). Returns false,
 * having created nothing, when it is not one; on btrfs `note` says why.
 */
export async function createSubvolumePayload(path: string, note: (message: string) => void): Promise<boolean> {
  const parent = dirname(path);
  if (!(await onBtrfs(parent))) return false;
  const refused = (await deletionRefusal(parent, path)) ?? (await getCore().createSubvolume(path).then(() => undefined, subvolumeError));
  if (refused === undefined) return true;
  note(`payload ${basename(path)} is a plain directory, not a btrfs subvolume (snapshots will be reflink copies): ${refused.jsonMessage}`);
  return false;
}

/**
 * Before a subvolume snapshot leaves `.jvs/snapshots/` for the GC trash: checks (with a probe in
 * `probeDir`) that it can be deleted at all, so that a refusal changes nothing, then clears its
 * read-only flag — a read-only subvolume cannot move to another directory (EROFS on its `..`).
 */
export async function prepareSubvolumeMove(dir: string, probeDir: string): Promise<void> {
  if (!(await isSubvolume(dir))) return;
  await mkdir(probeDir, { recursive: true });
  const refused = await deletionRefusal(probeDir, dir);
  if (refused) throw refused;
  await getCore().setSubvolumeReadonly(dir, false).catch((e: unknown) => {
    throw subvolumeError(e);
  });
}
