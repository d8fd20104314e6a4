/**
 * Check 11 and `clean_tmp` (CONTRACT §8, §3.1): transients that JVS (or v8.2) creates and a
 * crash can leave — and only those: nothing inside a payload or a published snapshot is ever
 * looked at, let alone removed.
 *
 * A transient tied to an operation is an orphan when that operation is not live: a snapshot's
 * `<ID>.tmp` belongs to the worktree its intent names (no intent: nobody's, since the intent is
 * written first); a restore's staging sibling belongs to its worktree and, while a journal
 * exists, to the interrupted restore (resume_restore removes it). Atomic-write temps and
 * `.jvs/ext/tmp/*` cannot be tied to one operation, so they are orphans only while no lock is
 * held at all. Lock-directory temps are the lock module's (clean_locks sweeps them).
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

import { byteOrder } from '../encoding/order.js';
import { readIntent } from '../formats/markers.js';
import { TMP_PREFIX } from '../fs/atomic.js';
import { pathExists } from '../fs/exists.js';
import { removeTree } from '../gc/remove-tree.js';
import type { RepoLayout } from '../repo/layout.js';
import type { DoctorContext } from './context.js';
import { restoreSiblings } from './siblings.js';
import { finding, type Finding, type RepairOutcome } from './types.js';

interface Transient {
  /** Relative to the repository root. */
  name: string;
  path: string;
  isDir: boolean;
  /** A snapshot being built (`.jvs/snapshots/<ID>.tmp`): a warning, not just info. */
  snapshotTmp: boolean;
}

const isTmpName = (name: string): boolean => name.startsWith(TMP_PREFIX) && name.length > TMP_PREFIX.length;

async function dirents(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).map((e) => ({ name: e.name, isDir: e.isDirectory() }));
  } catch {
    return [];
  }
}

/** Directories of `.jvs/` never searched for atomic-write temps (see the module comment). */
function unsearched(layout: RepoLayout): Set<string> {
  return new Set([layout.gcTrashDir, layout.locksDir, layout.extTmp]);
}

/** `.jvs-tmp-*` entries anywhere in `.jvs/`, not inside snapshot directories. */
async function atomicTemps(layout: RepoLayout, dir: string, skip: Set<string>, out: { path: string; isDir: boolean }[]): Promise<void> {
  for (const e of await dirents(dir)) {
    const path = join(dir, e.name);
    if (isTmpName(e.name)) out.push({ path, isDir: e.isDir });
    // Snapshot directories (published or being built) hold payloads: never entered.
    else if (e.isDir && dir !== layout.snapshotsDir && !skip.has(path)) await atomicTemps(layout, path, skip, out);
  }
}

/** Whether `<ID>.tmp` belongs to a snapshot operation still at work. */
async function snapshotTmpLive(ctx: DoctorContext, id: string): Promise<boolean> {
  if (!(await pathExists(ctx.layout.intent(id)))) return false;
  const intent = await readIntent(ctx.layout.intent(id));
  return intent ? ctx.live.worktreeBusy(intent.worktree_name) : !ctx.live.quiet;
}

async function transients(ctx: DoctorContext): Promise<Transient[]> {
  const { layout, live } = ctx;
  const found: { path: string; isDir: boolean; snapshotTmp?: boolean }[] = [];
  if (live.quiet) {
    for (const e of await dirents(layout.root)) {
      if (isTmpName(e.name) || (e.isDir && e.name.startsWith('.jvs-reflink-test-'))) found.push({ path: join(layout.root, e.name), isDir: e.isDir });
    }
    await atomicTemps(layout, layout.jvs, unsearched(layout), found);
    for (const e of await dirents(layout.extTmp)) found.push({ path: join(layout.extTmp, e.name), isDir: e.isDir });
  }
  for (const s of await restoreSiblings(layout, 'tmp')) {
    if (!live.worktreeBusy(s.worktree) && !(await pathExists(layout.restoreJournal(s.worktree)))) found.push({ path: s.path, isDir: true });
  }
  for (const e of await dirents(layout.snapshotsDir)) {
    if (e.isDir && e.name.endsWith('.tmp') && !(await snapshotTmpLive(ctx, e.name.slice(0, -'.tmp'.length)))) {
      found.push({ path: layout.snapshotDir(e.name), isDir: true, snapshotTmp: true });
    }
  }
  return found
    .map((f) => ({ name: relative(layout.root, f.path), path: f.path, isDir: f.isDir, snapshotTmp: f.snapshotTmp ?? false }))
    .sort((a, b) => byteOrder(a.name, b.name));
}

export async function checkTmp(ctx: DoctorContext): Promise<Finding[]> {
  return (await transients(ctx)).map((t) => {
    if (t.snapshotTmp) return finding('tmp', 'warning', `orphan snapshot tmp directory: ${t.name}`, { path: t.path, repair: 'clean_tmp' });
    return finding('tmp', 'info', `orphan temp ${t.isDir ? 'directory' : 'file'}: ${t.name}`, { path: t.path, repair: 'clean_tmp' });
  });
}

export async function cleanTmp(ctx: DoctorContext): Promise<RepairOutcome> {
  const found = await transients(ctx);
  // removeTree: a snapshot's `<ID>.tmp` may be a btrfs subvolume.
  for (const t of found) await removeTree(t.path);
  return { message: `cleaned ${found.length} tmp files/directories`, cleaned: found.length };
}
