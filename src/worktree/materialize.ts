/**
 * Materializing a snapshot as a new worktree's payload (CONTRACT §5.4): with the selected
 * engine, the root `.READY` never copied. A read-only subvolume snapshot (engine
 * btrfs-snapshot) becomes the payload as a writable subvolume snapshot of it, O(1). Otherwise
 * the payload is made a btrfs subvolume where that works (src/fs/subvolume.ts) and the snapshot
 * cloned. Content of a pre-existing unregistered directory is kept: the snapshot is cloned into
 * a staging directory inside it and its top-level entries moved up — refusing (before moving
 * anything) a name that is already there. On failure only what was created is removed.
 */
import { chmod, lstat, readdir, rename, rm, rmdir, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { engineFromEnv, selectEngine, STORED_TO_CORE } from '../engine/select.js';
import { JvsError } from '../errors.js';
import { fsyncDir, tmpName } from '../fs/atomic.js';
import type { Descriptor } from '../formats/descriptor.js';
import { READY } from '../formats/markers.js';
import { getCore } from '../native/index.js';
import { openCompressed } from '../compress/index.js';
import type { Repository } from '../repo/repository.js';
import { degradationOf, degradationWarning, type Degradation } from '../engine/degradation.js';
import { pathExists } from '../fs/exists.js';
import { createSubvolumePayload, deletionRefusal, isSubvolume } from '../fs/subvolume.js';

/**
 * The payload as a writable snapshot of the subvolume snapshot `src`, when it is one, no engine
 * is forced by the environment, and the snapshots this worktree will take could be deleted
 * again. Its `.READY` (the snapshot's, not payload) is removed. False when not taken (the
 * caller clones): e.g. only a snapshot's owner may snapshot it without privilege.
 */
async function forkSubvolume(repo: Repository, d: Descriptor, src: string, dest: string): Promise<boolean> {
  if (d.compression || engineFromEnv(repo.env).engine || !(await isSubvolume(src))) return false;
  if (await deletionRefusal(dirname(dest), dest)) return false;
  try {
    await getCore().snapshotSubvolume(src, dest, false);
  } catch {
    return false;
  }
  await rm(join(dest, READY), { recursive: true, force: true });
  return true;
}

/** Moves the entries of `staging` (inside `dest`) up into `dest`, refusing any that exist. */
async function moveUp(staging: string, dest: string): Promise<void> {
  try {
    const names = await readdir(staging);
    for (const n of names) {
      if (await pathExists(`${dest}/${n}`)) throw new JvsError('E_EXISTS', `${dest}/${n} already exists`);
    }
    for (const n of names) await rename(`${staging}/${n}`, `${dest}/${n}`);
    await rmdir(staging);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

export async function materializeSnapshot(repo: Repository, d: Descriptor, dest: string): Promise<{ degraded?: Degradation }> {
  const choice = await selectEngine(repo.root, repo.layout.extTmp, repo.env);
  for (const w of choice.warnings) repo.warn(w);
  const engine = STORED_TO_CORE[choice.engine === 'btrfs-snapshot' ? 'reflink-copy' : choice.engine];
  const src = repo.layout.snapshotDir(d.snapshot_id);
  const preexisting = await pathExists(dest);
  if (!preexisting && (await forkSubvolume(repo, d, src, dest))) {
    await fsyncDir(dirname(dest));
    return {};
  }
  // An existing directory (the user's, or our new subvolume) is filled through a staging
  // directory inside it: a rename cannot leave a subvolume.
  const subvolume = !preexisting && (await createSubvolumePayload(dest, repo.note));
  const target = preexisting || subvolume ? join(dest, tmpName()) : dest;
  // [compress hook] A compressed snapshot is written from its logical tree, not cloned (§5.4, §3.9).
  const logical = d.compression ? await openCompressed(repo.layout, d) : undefined;
  if (logical) await logical.materializeTree(target);
  const report = logical ? undefined : await getCore().cloneTree(src, target, { engine, exclude: [READY] });
  if (target !== dest) {
    // Our subvolume takes the root's mode and times, as a clone into `dest` would have.
    const root = subvolume ? await lstat(target) : undefined;
    await moveUp(target, dest);
    if (root) {
      await chmod(dest, root.mode & 0o7777);
      await utimes(dest, root.atime, root.mtime);
    }
  }
  await getCore().syncTree(dest);
  await fsyncDir(`${dest}/..`);
  const degraded = degradationOf(choice.engine, report);
  if (!degraded) return {};
  repo.warn(degradationWarning(degraded));
  return { degraded };
}
