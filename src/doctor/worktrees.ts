/**
 * Check 2 (CONTRACT §8.1): every worktree's payload exists and its head and latest snapshots
 * exist; and head_orphan — a snapshot published by a crash between §3.4 steps 11 and 12, which
 * the worktree's head never reached — with its repair `advance_head` (§8.2).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import { parentOf, type Descriptor } from '../formats/descriptor.js';
import { READY } from '../formats/markers.js';
import { readMeta } from '../formats/meta.js';
import { isDetached, writeWorktreeConfig } from '../formats/worktree-config.js';
import { pathExists } from '../fs/exists.js';
import { goPathError } from '../fs/go-errors.js';
import { listSnapshots } from '../repo/catalog.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';
import { loadWorktrees, type DoctorContext, type Worktree } from './context.js';
import { finding, type Finding, type RepairOutcome } from './types.js';

/** Safety snapshots (§5.3 property 5) never become a head by themselves. */
async function isSafety(layout: RepoLayout, d: Descriptor): Promise<boolean> {
  return (d.tags ?? []).includes('jvs-safety') || (await readMeta(layout.meta(d.snapshot_id)))?.kind === 'safety';
}

/** Every id some worktree points at. */
function referencedIds(worktrees: readonly Worktree[]): Set<string> {
  const ids = worktrees.flatMap(({ config: c }) => [c.head_snapshot_id, c.latest_snapshot_id, c.base_snapshot_id]);
  return new Set(ids.filter((id): id is string => id !== undefined));
}

/**
 * The newest complete snapshot of worktree `wt` whose parent is its head (none: no parent)
 * that no worktree references and that is not a safety snapshot; undefined when there is none
 * or the worktree is detached. `snapshots` is the catalog, newest first.
 */
async function headOrphan(layout: RepoLayout, wt: Worktree, referenced: Set<string>, snapshots: readonly Descriptor[]): Promise<Descriptor | undefined> {
  if (isDetached(wt.config)) return undefined;
  for (const d of snapshots) {
    if (d.worktree_name !== wt.name || parentOf(d) !== wt.config.head_snapshot_id || referenced.has(d.snapshot_id)) continue;
    if (!(await pathExists(join(layout.snapshotDir(d.snapshot_id), READY))) || (await isSafety(layout, d))) continue;
    return d;
  }
  return undefined;
}

/** Whether a snapshot id from a config names anything (a directory or a descriptor). */
async function snapshotExists(layout: RepoLayout, id: string): Promise<boolean> {
  if (!isSafeComponent(id)) return false;
  return (await pathExists(layout.snapshotDir(id))) || (await pathExists(layout.descriptor(id)));
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function checkWorktrees(ctx: DoctorContext): Promise<Finding[]> {
  const { layout } = ctx;
  let worktrees: Worktree[];
  try {
    worktrees = await loadWorktrees(layout);
  } catch (e) {
    return [finding('worktree', 'error', `cannot list worktrees: ${goPathError('open', layout.worktreesDir, e)}`, { path: layout.worktreesDir })];
  }
  const referenced = referencedIds(worktrees);
  const { snapshots } = await listSnapshots(layout);
  const out: Finding[] = [];
  for (const wt of worktrees) {
    if (ctx.live.worktreeBusy(wt.name)) continue;
    const { name, config } = wt;
    const cfgPath = layout.worktreeConfig(name);
    if (!(await isDirectory(layout.payload(name)))) {
      out.push(finding('worktree', 'error', `worktree '${name}' payload directory missing`, { path: layout.payload(name) }));
    }
    for (const [which, id] of [
      ['head', config.head_snapshot_id],
      ['latest', config.latest_snapshot_id],
    ] as const) {
      if (id !== undefined && !(await snapshotExists(layout, id))) {
        out.push(finding('worktree', 'warning', `worktree '${name}' ${which} snapshot ${id} not found`, { path: cfgPath }));
      }
    }
    const orphan = await headOrphan(layout, wt, referenced, snapshots);
    if (orphan) {
      out.push(
        finding('worktree', 'warning', `worktree '${name}' head is behind completed snapshot ${orphan.snapshot_id}`, { path: cfgPath, repair: 'advance_head' }),
      );
    }
  }
  return out;
}

/** `advance_head`: head = latest = the orphan, repeated while the new head has one. */
export async function advanceHeads(ctx: DoctorContext): Promise<RepairOutcome> {
  const { layout } = ctx;
  const worktrees = await loadWorktrees(layout);
  const referenced = referencedIds(worktrees);
  const { snapshots } = await listSnapshots(layout);
  let advanced = 0;
  for (const wt of worktrees) {
    if (ctx.live.worktreeBusy(wt.name)) continue;
    let moved = false;
    for (let orphan = await headOrphan(layout, wt, referenced, snapshots); orphan; orphan = await headOrphan(layout, wt, referenced, snapshots)) {
      wt.config = { ...wt.config, head_snapshot_id: orphan.snapshot_id, latest_snapshot_id: orphan.snapshot_id };
      await writeWorktreeConfig(layout.worktreeConfig(wt.name), wt.config);
      referenced.add(orphan.snapshot_id);
      moved = true;
    }
    if (moved) advanced++;
  }
  return { message: `advanced ${advanced} worktrees`, cleaned: advanced };
}
