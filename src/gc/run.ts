/**
 * `jvs gc run --plan-id ID` (CONTRACT §2.10, §7 "Run"): executes a plan in two phases under the
 * repository lock. Mark records what will be deleted; commit deletes id by id, each through the
 * trash, so a snapshot leaves `.jvs/snapshots/` in one rename and the rest is cleanup. A crash
 * anywhere is resumed by running the same plan again: the run state says where it was, and
 * every step of an id can be repeated.
 */
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import { crashPoint } from '../crash.js';
import { nowNs } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import { fsyncDir } from '../fs/atomic.js';
import { pathExists } from '../fs/exists.js';
import { errnoCode } from '../fs/go-errors.js';
import { prepareSubvolumeMove } from '../fs/subvolume.js';
import { planExpiresAt, readGcPlan, readGcPlanExtras, removeGcPlan, validatePlanId, type GcPlan } from '../formats/gc-plan.js';
import { hasTombstone, writeTombstone } from '../formats/tombstone.js';
import { withRepoLock, type LockOptions } from '../locks/index.js';
import { dropManifest, sweepObjects } from '../manifest/store.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';
import type { Repository } from '../repo/repository.js';
import { ancestorsOf, baseProtection } from './protect.js';
import { removeTree } from './remove-tree.js';
import { readRunState, removeRunState, writeRunState, type GcRunState } from './run-state.js';

/** The named steps, in order; tests crash at each (JVS_CRASH_AT=gc:<step>). Per-id steps fire on the first id. */
export const GC_RUN_STEPS = [
  'gc:marked',
  'gc:trashed',
  'gc:descriptor',
  'gc:tombstone',
  'gc:done',
  'gc:deleted',
  'gc:committed',
  'gc:plan-removed',
  'gc:audited',
] as const;

/** Reported before each id is deleted: the bar's `<current>/<total> … deleting <SHORT>`. */
export interface GcProgress {
  /** 1-based position of `snapshot_id` in the plan. */
  current: number;
  total: number;
  snapshot_id: string;
}

export interface GcRunOptions {
  onProgress?: (p: GcProgress) => void;
  /** The command line recorded in the repository lock (default `jvs gc run --plan-id <id>`). */
  command?: string;
  lock?: LockOptions;
}

export interface GcRunResult {
  plan_id: string;
  /** Snapshots this run deleted, counting those deleted before an interruption it resumed. */
  deleted_count: number;
  /** Ids that could not be deleted (each was a warning); they stay in place. */
  failed: string[];
  /** Whether an interrupted run of this plan was resumed. */
  resumed: boolean;
}

function runError(e: unknown): unknown {
  return e instanceof JvsError ? e.withContext('run gc') : e;
}

function mismatch(detail: string): JvsError {
  return new JvsError('E_GC_PLAN_MISMATCH', `run gc: E_GC_PLAN_MISMATCH: ${detail}`);
}

/** §7 run steps 2 and 3: the plan is fresh and nothing it deletes has become protected. */
async function checkStillApplies(layout: RepoLayout, planId: string, plan: GcPlan): Promise<void> {
  const now = nowNs();
  const expires = planExpiresAt(plan, await readGcPlanExtras(layout, planId));
  if (expires === undefined || now > expires.ns) {
    throw mismatch(`plan ${planId} expired at ${expires?.normalized ?? plan.created_at}; run jvs gc plan again`);
  }
  const { roots, pinned, inFlight } = await baseProtection(layout, now);
  const direct = new Set([...roots, ...pinned, ...inFlight]);
  const lineage = await ancestorsOf(layout, direct);
  const hit = plan.to_delete.find((id) => direct.has(id) || lineage.has(id));
  if (hit !== undefined) throw mismatch(`plan mismatch: ${hit} is now protected`);
}

/** Loads and validates the plan, then records the ids to delete (§7 run steps 1–4). */
async function mark(layout: RepoLayout, planId: string): Promise<GcRunState> {
  const plan = await readGcPlan(layout, planId).catch((e: unknown) => {
    throw runError(e);
  });
  // Ids are joined into paths: a plan is a file anyone could have edited (§5.5).
  const bad = plan.to_delete.find((id) => !isSafeComponent(id));
  if (bad !== undefined) throw new JvsError('E_PATH_ESCAPE', `run gc: E_PATH_ESCAPE: invalid snapshot id: ${bad}`);
  await checkStillApplies(layout, planId, plan);
  const state: GcRunState = { plan_id: planId, phase: 'marked', ids: [...new Set(plan.to_delete)], done: [] };
  await writeRunState(layout, state);
  crashPoint('gc:marked');
  return state;
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((e: unknown) => {
    if (errnoCode(e) !== 'ENOENT') throw e;
  });
}

/** Moves `.jvs/snapshots/<id>` into the trash; false when neither it nor a trash copy exists. */
async function moveToTrash(layout: RepoLayout, id: string): Promise<boolean> {
  const dir = layout.snapshotDir(id);
  const trash = layout.gcTrash(id);
  if (!(await pathExists(dir))) return pathExists(trash);
  // A copy left by an earlier attempt would make the rename fail.
  await removeTree(trash);
  await mkdir(dirname(trash), { recursive: true });
  await prepareSubvolumeMove(dir, layout.extTmp);
  await rename(dir, trash);
  await fsyncDir(layout.snapshotsDir);
  await fsyncDir(dirname(trash));
  return true;
}

/**
 * Deletes one id (§7 run step 5): trash, descriptor (+ our meta and manifest pointer),
 * tombstone, done, trash copy. `<id>.tmp` directories were never snapshots: only the
 * directory goes. Returns false when the id was already gone.
 */
async function commitId(layout: RepoLayout, state: GcRunState, id: string): Promise<boolean> {
  if (!(await moveToTrash(layout, id))) return false;
  crashPoint('gc:trashed');
  if (!id.endsWith('.tmp')) {
    await unlinkIfPresent(layout.descriptor(id));
    await fsyncDir(layout.descriptorsDir);
    await unlinkIfPresent(layout.meta(id));
    await dropManifest(layout, id);
    crashPoint('gc:descriptor');
    if (!(await hasTombstone(layout, id))) await writeTombstone(layout, id);
    crashPoint('gc:tombstone');
  }
  state.done.push(id);
  await writeRunState(layout, state);
  crashPoint('gc:done');
  await removeTree(layout.gcTrash(id));
  crashPoint('gc:deleted');
  return true;
}

/** The commit loop; a failing id is a warning and the loop goes on. Returns the failed ids. */
async function commit(repo: Repository, state: GcRunState, onProgress: GcRunOptions['onProgress']): Promise<string[]> {
  const done = new Set(state.done);
  const failed: string[] = [];
  for (const [i, id] of state.ids.entries()) {
    onProgress?.({ current: i + 1, total: state.ids.length, snapshot_id: id });
    try {
      // A done id only ever has its trash copy left (the crash came before its removal).
      if (done.has(id)) await removeTree(repo.layout.gcTrash(id));
      else if (await commitId(repo.layout, state, id)) done.add(id);
    } catch (e) {
      failed.push(id);
      // The hint goes into the warning: a refused subvolume deletion says what would allow it.
      const hint = e instanceof JvsError && e.hint ? `; ${e.hint}` : '';
      repo.warn(`gc: failed to delete ${id}: ${e instanceof Error ? e.message : String(e)}${hint}`);
    }
  }
  return failed;
}

async function execute(repo: Repository, planId: string, opts: GcRunOptions): Promise<GcRunResult> {
  const layout = repo.layout;
  const resumed = await readRunState(layout, planId);
  const state = resumed ?? (await mark(layout, planId));
  let failed: string[] = [];
  if (state.phase === 'marked') {
    failed = await commit(repo, state, opts.onProgress);
    // Manifest objects are shared between snapshots: only now, with the repository lock held,
    // can the ones no remaining snapshot uses go. A failure here loses nothing (a cache).
    await sweepObjects(layout).catch((e: unknown) => repo.warn(`gc: manifest sweep failed: ${e instanceof Error ? e.message : String(e)}`));
    state.phase = 'committed';
    await writeRunState(layout, state);
    crashPoint('gc:committed');
  }
  await removeGcPlan(layout, planId);
  crashPoint('gc:plan-removed');
  // A crash between this append and the removal below repeats the record on resume: the
  // audit log may say twice that a run finished, but never omits it.
  await repo.audit({ event_type: 'gc_run', details: { plan_id: planId, deleted_count: state.done.length } });
  crashPoint('gc:audited');
  await removeRunState(layout, planId);
  return { plan_id: planId, deleted_count: state.done.length, failed, resumed: resumed !== undefined };
}

/**
 * Runs (or resumes) plan `planId`. Errors: `run gc: E_PATH_ESCAPE: invalid plan id: <id>`,
 * `run gc: load plan: open <path>: no such file or directory` [E_NOT_FOUND], expiry and
 * mismatch [E_GC_PLAN_MISMATCH], E_LOCKED. Per-id failures are warnings (`gc: failed to
 * delete <id>: <err>`) and listed in `failed`; the CLI then prints `GC completed successfully.`
 */
export async function gcRun(repo: Repository, planId: string, opts: GcRunOptions = {}): Promise<GcRunResult> {
  try {
    validatePlanId(planId);
  } catch (e) {
    throw runError(e);
  }
  return withRepoLock(repo.layout, opts.command ?? `jvs gc run --plan-id ${planId}`, () => execute(repo, planId, opts), opts.lock);
}

/**
 * For the CLI's progress mode, which reports a missing or unreadable plan before drawing the
 * bar, without the `run gc: ` context (`load plan: open …`). Passes when a run is to be resumed.
 */
export async function gcRunPreflight(repo: Repository, planId: string): Promise<void> {
  try {
    validatePlanId(planId);
  } catch (e) {
    throw runError(e);
  }
  if (await readRunState(repo.layout, planId)) return;
  await readGcPlan(repo.layout, planId);
}
