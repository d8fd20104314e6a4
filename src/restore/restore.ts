/**
 * `jvs restore` (CONTRACT §2.6, §5.3): resolve, verify the descriptor, save unsnapshotted work
 * as a safety snapshot, journal, change only what differs inside the existing worktree
 * directory, move the head, audit. Re-running a journalled restore completes it.
 */
import { readdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

import { crashPoint } from '../crash.js';
import { nowNs, nowTimestamp } from '../encoding/timestamp.js';
import { selectEngine, STORED_TO_CORE } from '../engine/select.js';
import { JvsError } from '../errors.js';
import { checksumValid, readDescriptor, type Descriptor } from '../formats/descriptor.js';
import { isDetached, writeWorktreeConfig, type WorktreeConfig } from '../formats/worktree-config.js';
import { getCore, walkAhead, type HashRecord, type Progress, type WalkEntry } from '../native/index.js';
import { pathExists } from '../fs/exists.js';
import { inexactWarning, openCompressed } from '../compress/index.js';
import { freshDescriptor, listSnapshots, tryDescriptor } from '../repo/catalog.js';
import { fuzzyOne, notFoundBlock } from '../repo/refs.js';
import type { Repository } from '../repo/repository.js';
import { degradationOf, degradationWarning, type Degradation } from '../engine/degradation.js';
import { checkRelativePath } from '../snapshot/paths.js';
import { loadWorktree, saveSafetySnapshot } from '../snapshot/snapshot.js';
import { snapshotRecords } from '../snapshot/records.js';
import { applyPlan, stagingPath } from './apply.js';
import { readJournal, removeJournal, writeJournal } from './journal.js';
import { inScope, planRestore, untouchedHashes, type Action, type RestorePlan } from './plan.js';
import { planDelta, type DeltaPlan } from './delta.js';
import { cacheOfRecords, hashCacheOf, loadStatCache, pathKey, saveStatCache, trustBefore, type StatCache, type StatCacheOut } from '../statcache/cache.js';
import { recordsAt } from '../manifest/store.js';

export interface RestoreOptions {
  worktree: string;
  /** A snapshot id, a unique fuzzy match, or `HEAD` (the worktree's latest). */
  ref: string;
  /** Restore only these paths (relative to the payload). */
  paths?: string[];
  /** Skip the safety snapshot of unsnapshotted changes. */
  discard?: boolean;
  /** Receives the number of files decompressed from a compressed snapshot, when any (`decompressed <n> files`, §2.6). */
  onDecompressed?: (files: number) => void;
  /** Progress of materializing what differs (for a progress bar). */
  onProgress?: (p: Progress) => void;
}

/** The `--json` output (a map: keys in byte order). */
export interface RestoreResult {
  degraded?: Degradation;
  detached: boolean;
  paths?: string[];
  safety_snapshot_id?: string;
  snapshot_id: string;
  status: 'restored';
}

export const RESTORE_STEPS = ['restore:journal', 'restore:applied', 'restore:head'] as const;

async function resolveRestoreRef(repo: Repository, cfg: WorktreeConfig, ref: string): Promise<Descriptor> {
  if (ref === 'HEAD') {
    const latest = cfg.latest_snapshot_id;
    if (!latest) throw new JvsError('E_NOT_FOUND', 'restore to latest: worktree has no snapshots');
    const d = await tryDescriptor(repo.layout, latest);
    if (!d) throw notFoundBlock(ref, (await listSnapshots(repo.layout)).snapshots);
    return d;
  }
  const exact = await tryDescriptor(repo.layout, ref);
  if (exact) return exact;
  const { snapshots } = await listSnapshots(repo.layout);
  try {
    return fuzzyOne(snapshots, ref);
  } catch (e) {
    throw notFoundBlock(ref, snapshots, e instanceof JvsError && e.code === 'E_AMBIGUOUS_REF' ? 'E_AMBIGUOUS_REF' : 'E_NOT_FOUND');
  }
}

/**
 * Whether restoring would lose work that the head snapshot does not hold (§5.3 property 5).
 * Hashes the plan already knows (stat cache or read) are used; only the rest is read.
 */
async function hasUnsavedChanges(repo: Repository, payload: string, cfg: WorktreeConfig, plan: RestorePlan): Promise<boolean> {
  if (plan.overwritten.length === 0) return false;
  const headId = cfg.head_snapshot_id;
  const head = headId ? await tryDescriptor(repo.layout, headId) : undefined;
  if (!head) return true;
  // Only the overwritten paths of the head are needed: read along them, not the whole manifest.
  const saved = (await recordsAt(repo.layout, head.snapshot_id, head.payload_root_hash, plan.overwritten)) ?? new Map((await snapshotRecords(repo, head)).map((r) => [pathKey(r.path), r]));
  const current = new Map<string, { kind: string; hash: string }>();
  const unknown: Buffer[] = [];
  for (const p of plan.overwritten) {
    // The plan knows hashes of regular files only.
    const hash = plan.known.get(pathKey(p));
    if (hash !== undefined) current.set(pathKey(p), { kind: 'file', hash });
    else unknown.push(p);
  }
  for (const r of await getCore().hashPaths(payload, unknown)) current.set(pathKey(r.path), r);
  // The status comparison: content or type of files and symlinks; permission bits do not count.
  return [...current].some(([k, c]) => {
    const s = saved.get(k);
    return !s || s.kind !== c.kind || s.hash !== c.hash;
  });
}

/**
 * The worktree's stat cache after a whole restore: the target's records, remembering the
 * identity of every file the plan's walk saw holding its record and the restore left alone
 * (its hash cached, or read after that walk). Replaced, chmodded and removed entries are not
 * remembered. No second walk is needed: `takenNs` precedes the plan's walk, so a file changed
 * after it either has another stat now or is racily clean.
 */
function cacheAfterPlan(target: string, records: readonly HashRecord[], plan: RestorePlan, takenNs: bigint): StatCache {
  const untouched = untouchedHashes(plan);
  const stats = new Map<string, string>();
  for (const e of plan.walked) if (e.kind === 'file') stats.set(pathKey(e.path), e.statId);
  const vouch = (r: HashRecord): string | undefined => {
    const k = pathKey(r.path);
    return untouched.get(k) === r.hash ? stats.get(k) : undefined;
  };
  return cacheOfRecords(target, takenNs, records, vouch);
}

/** A restore, planned: what to do, whether it loses work, and the stat cache afterwards. */
interface Planned {
  actions: Action[];
  unsaved(): Promise<boolean>;
  cacheAfter(): StatCacheOut;
}

/**
 * Work a fresh restore did before the restore proper: a plan made from the stat cache and the
 * manifest trees (delta.ts), or the worktree's walk (running on its own threads while the
 * target's records were loaded) and the target's records.
 */
type Ahead = { takenNs: bigint; delta: DeltaPlan } | { takenNs: bigint; walking: Promise<WalkEntry[]>; records: HashRecord[]; cache: StatCache | undefined };

/** The plan from the whole walk and the target's whole records (plan.ts). */
async function planFull(repo: Repository, worktree: string, d: Descriptor, paths: string[] | undefined, cfg: WorktreeConfig, ahead?: Ahead): Promise<Planned> {
  const payload = repo.layout.payload(worktree);
  // takenNs precedes the walk: the reference point of the refreshed cache's racy rule.
  const takenNs = ahead?.takenNs ?? nowNs();
  const walking = ahead && 'walking' in ahead ? ahead.walking : walkAhead(payload);
  const records = ahead && 'records' in ahead ? ahead.records : await snapshotRecords(repo, d);
  // A full restore of a partial snapshot is scoped to the snapshot's own paths (§5.3 prop. 3);
  // the path `.` is the whole worktree (but, being a path restore, leaves the head alone).
  const scope = paths?.includes('.') ? undefined : (paths ?? d.partial_paths);
  const scopeBufs = scope?.map((p) => Buffer.from(p));
  const cache = ahead && 'cache' in ahead ? ahead.cache : await loadStatCache(repo.layout, worktree);
  const plan = await planRestore(payload, records, scopeBufs, hashCacheOf(cache), walking);
  return {
    actions: plan.actions,
    unsaved: () => hasUnsavedChanges(repo, payload, cfg, plan),
    cacheAfter: () => cacheAfterPlan(d.snapshot_id, records, plan, takenNs),
  };
}

/**
 * A whole restore planned from what changed, when the stat cache describes the head and both
 * manifests are at hand; undefined otherwise.
 */
async function planFromCache(repo: Repository, worktree: string, cfg: WorktreeConfig, target: Descriptor, cache: StatCache | undefined): Promise<Ahead | undefined> {
  const head = cfg.head_snapshot_id ? await tryDescriptor(repo.layout, cfg.head_snapshot_id) : undefined;
  if (!cache || !head || cache.base !== head.snapshot_id || target.partial_paths) return undefined;
  // Before the scan: the reference point of the racy rule for what it remembers.
  const takenNs = nowNs();
  const diffs = await getCore()
    .scanWorktree(repo.layout.payload(worktree), cache.body, trustBefore(cache))
    .catch(() => undefined);
  // A scan that failed (the worktree changing under it, a cache it cannot use) leaves the plan to the full planner.
  if (!diffs) return undefined;
  const delta = await planDelta(repo.layout, repo.layout.payload(worktree), cache, diffs, head, target);
  return delta ? { takenNs, delta } : undefined;
}

async function removeStaging(payload: string): Promise<void> {
  const parent = dirname(payload);
  const prefix = `${payload.slice(parent.length + 1)}.restore-tmp-`;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(`${parent}/${name}`, { recursive: true, force: true });
  }
}

/** The restore itself, once resolved: shared by a fresh restore and the resumption of one. */
async function carryOut(
  repo: Repository,
  worktree: string,
  d: Descriptor,
  paths: string[] | undefined,
  safety: { take: boolean; id?: string },
  onProgress?: (p: Progress) => void,
  ahead?: Ahead,
): Promise<{ safetyId?: string; degraded?: Degradation; cfg: WorktreeConfig; decompressed: number }> {
  const cfg = await loadWorktree(repo, worktree);
  const payload = repo.layout.payload(worktree);
  const planned: Planned =
    ahead && 'delta' in ahead
      ? { actions: ahead.delta.actions, unsaved: async () => ahead.delta.unsaved, cacheAfter: () => ahead.delta.cacheAfter(ahead.takenNs) }
      : await planFull(repo, worktree, d, paths, cfg, ahead);

  let safetyId = safety.id;
  if (safety.take && (await planned.unsaved())) {
    try {
      safetyId = (await saveSafetySnapshot(repo, worktree, `safety: before restore to ${d.snapshot_id}`)).snapshot_id;
    } catch (e) {
      const err = e instanceof JvsError ? e : new JvsError('E_IO', String((e as Error).message), { cause: e });
      throw new JvsError(err.code, `save unsnapshotted changes: ${err.message}`, { hint: 'use --discard to restore without saving', cause: e });
    }
  }

  const journalPath = repo.layout.restoreJournal(worktree);
  await writeJournal(journalPath, {
    worktree,
    snapshot_id: d.snapshot_id,
    paths: paths ?? null,
    safety_snapshot_id: safetyId ?? null,
    started_at: nowTimestamp(),
  });
  crashPoint('restore:journal');

  const choice = await selectEngine(repo.root, repo.layout.extTmp, repo.env);
  const engine = STORED_TO_CORE[choice.engine === 'btrfs-snapshot' ? 'reflink-copy' : choice.engine];
  // [compress hook] Content of a compressed snapshot comes from its logical tree (§3.9, §5.3 prop. 8).
  const logical = d.compression ? await openCompressed(repo.layout, d) : undefined;
  if (logical?.layout === 'v8.2' && !(await logical.exact())) repo.warn(inexactWarning(d));
  const applied = await applyPlan(planned.actions, {
    payload,
    snapshotDir: repo.layout.snapshotDir(d.snapshot_id),
    engine,
    staging: stagingPath(payload),
    ...(logical ? { logical } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  crashPoint('restore:applied');

  let next = cfg;
  if (!paths) {
    next = { ...cfg, head_snapshot_id: d.snapshot_id };
    await writeWorktreeConfig(repo.layout.worktreeConfig(worktree), next);
  }
  crashPoint('restore:head');
  // Only speed depends on the cache: failing to save it fails nothing. A path restore leaves
  // the head, and with it the cache's base: the entries it replaced now have other stats.
  if (!paths) await saveStatCache(repo.layout, worktree, planned.cacheAfter()).catch(() => undefined);
  await removeJournal(journalPath);
  await removeStaging(payload);
  // §6.2: a restore that did not get the requested mechanism says so.
  const degraded = degradationOf(choice.engine, applied.report);
  if (degraded) repo.warn(degradationWarning(degraded));
  return { ...(safetyId ? { safetyId } : {}), ...(degraded ? { degraded } : {}), cfg: next, decompressed: applied.decompressed };
}

/**
 * Completes an interrupted restore of `worktree`, if its journal says there is one; returns
 * the snapshot id it completed. Commands that lock a worktree call this first.
 */
export async function resumeRestore(repo: Repository, worktree: string): Promise<string | undefined> {
  const j = await readJournal(repo.layout.restoreJournal(worktree));
  if (!j) return undefined;
  const d = await readDescriptor(repo.layout.descriptor(j.snapshot_id));
  const done = await carryOut(repo, worktree, d, j.paths ?? undefined, { take: false, ...(j.safety_snapshot_id ? { id: j.safety_snapshot_id } : {}) });
  await repo.audit({
    event_type: 'restore',
    snapshot_id: d.snapshot_id,
    worktree_name: worktree,
    details: { detached: isDetached(done.cfg), ...(j.paths ? { paths: j.paths } : {}), ...(j.safety_snapshot_id ? { safety_snapshot_id: j.safety_snapshot_id } : {}) },
  });
  repo.note(`completed interrupted restore to ${d.snapshot_id}`);
  return d.snapshot_id;
}

/**
 * What a fresh restore prepares before the restore proper. A whole restore is planned from
 * what changed when it can be (planFromCache). Otherwise the worktree's walk starts at once
 * and the target's records are loaded meanwhile; a path restore checks its paths against them.
 */
async function prepare(repo: Repository, worktree: string, d: Descriptor, paths: string[] | undefined, given: string[] | undefined): Promise<Ahead> {
  const payload = repo.layout.payload(worktree);
  // Read once: the plan from the cache needs it whole, the full planner its hashes.
  const cache = await loadStatCache(repo.layout, worktree);
  if (!paths) {
    const fromCache = await planFromCache(repo, worktree, await loadWorktree(repo, worktree), d, cache);
    if (fromCache) return fromCache;
  }
  const takenNs = nowNs();
  const walking = walkAhead(payload);
  const records = await snapshotRecords(repo, d);
  for (const [i, p] of (paths ?? []).entries()) {
    const b = [Buffer.from(p)];
    if (p !== '.' && !records.some((r) => inScope(r.path, b)) && !(await pathExists(`${payload}/${p}`))) {
      throw new JvsError('E_NOT_FOUND', `path not found in snapshot or worktree: ${given![i]}`);
    }
  }
  return { takenNs, walking, records, cache };
}

export async function restore(repo: Repository, opts: RestoreOptions): Promise<RestoreResult> {
  const withContext = (e: unknown): unknown => (e instanceof JvsError && e.shape !== 'block' ? e.withContext('restore') : e);
  try {
    await resumeRestore(repo, opts.worktree);
  } catch (e) {
    throw withContext(e);
  }
  // Resolution failures print as they are: the not-found block, `restore to latest: …`.
  const d = await freshDescriptor(repo.layout, await resolveRestoreRef(repo, await loadWorktree(repo, opts.worktree), opts.ref));
  try {
    if (!checksumValid(d)) throw new JvsError('E_DESCRIPTOR_CORRUPT', 'verify snapshot: E_DESCRIPTOR_CORRUPT: checksum mismatch');
    const paths = opts.paths?.map(checkRelativePath);
    const done = await carryOut(repo, opts.worktree, d, paths, { take: !opts.discard }, opts.onProgress, await prepare(repo, opts.worktree, d, paths, opts.paths));
    if (done.decompressed > 0) opts.onDecompressed?.(done.decompressed);
    const detached = isDetached(done.cfg);
    await repo.audit({
      event_type: 'restore',
      snapshot_id: d.snapshot_id,
      worktree_name: opts.worktree,
      details: { detached, ...(opts.paths ? { paths: opts.paths } : {}), ...(done.safetyId ? { safety_snapshot_id: done.safetyId } : {}) },
    });
    // A map in the JSON output: keys in byte order (§2.6).
    return {
      ...(done.degraded ? { degraded: done.degraded } : {}),
      detached,
      ...(opts.paths ? { paths: opts.paths } : {}),
      ...(done.safetyId ? { safety_snapshot_id: done.safetyId } : {}),
      snapshot_id: d.snapshot_id,
      status: 'restored',
    };
  } catch (e) {
    throw withContext(e);
  }
}
