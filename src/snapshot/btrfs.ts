/**
 * The btrfs-snapshot engine (CONTRACT §6.1 step 3b): a whole-worktree snapshot of a payload that
 * is a btrfs subvolume is one subvolume snapshot, O(1) whatever the tree's size. It is taken
 * writable into `.jvs/snapshots/<ID>.tmp` (so the root `.READY` leftover can go and our own
 * `.READY` can be written), then sealed read-only before publication; v8.2 reads it as an
 * ordinary directory.
 */
import { lstat, readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { READY } from '../formats/markers.js';
import { getCore, type WalkEntry } from '../native/index.js';

/**
 * Takes `payload` as the writable subvolume snapshot `tmp`, or says why it cannot be one (the
 * caller then clones instead): a snapshot stops at nested subvolumes and mount points, which it
 * would show as empty directories, so a worktree holding any (a walked entry on another device
 * than the payload's) is cloned; and the ioctl may refuse (EPERM: only the subvolume's owner
 * may snapshot it without privilege; EXDEV: `.jvs/snapshots/` is on another file system).
 */
export async function takeSubvolumeSnapshot(payload: string, tmp: string, walked: readonly WalkEntry[] | undefined): Promise<string | undefined> {
  if (walked) {
    const dev = (await lstat(payload, { bigint: true })).dev;
    const foreign = walked.find((e) => e.dev !== dev);
    if (foreign) return notSubvolumeReason(foreign.path);
  } else {
    // Without a walk: mount points from the kernel's table; nested subvolumes are the caller's
    // to find in the snapshot (an empty placeholder on another device).
    const mount = await mountUnder(payload);
    if (mount) return `${mount} is a mount point`;
  }
  // The snapshot ioctl commits a transaction: what it took is durable when it returns, so the
  // tree needs no fsync (§3.4 step 6). A refusal leaves nothing at `tmp`.
  try {
    await getCore().snapshotSubvolume(payload, tmp, false);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  // The root-level `.READY` (a v8.2 restore leftover) is never part of a snapshot (§3.4 step 2).
  await rm(join(tmp, READY), { recursive: true, force: true });
  return undefined;
}

/** Why a worktree holding `path` (on another device) is cloned instead of snapshotted. */
export function notSubvolumeReason(path: Buffer): string {
  return `${path.toString()} is another subvolume or a mount point`;
}

/** A mount point strictly inside `dir` (from /proc/self/mountinfo), or why none can be ruled out. */
async function mountUnder(dir: string): Promise<string | undefined> {
  const root = `${await realpath(dir)}/`;
  let table: string;
  try {
    table = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return `${dir} (mounts cannot be listed)`;
  }
  for (const line of table.split('\n')) {
    // Field 5 is the mount point, with space, tab, newline and backslash as octal escapes.
    const field = line.split(' ')[4];
    if (!field) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point.startsWith(root)) return point.slice(root.length);
  }
  return undefined;
}

/** Makes the finished snapshot read-only (after its `.READY` is written, before publication). */
export function sealSubvolumeSnapshot(tmp: string): Promise<void> {
  return getCore().setSubvolumeReadonly(tmp, true);
}
