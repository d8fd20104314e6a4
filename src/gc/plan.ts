/**
 * `jvs gc plan` (CONTRACT §2.10, §7 "Plan"): which snapshot directories nothing protects, written
 * as a plan that `gc run` executes later. Deterministic for a repository state and a time.
 *
 * Reading order matters because the plan takes no lock: the candidate directories are listed
 * first and the protections read afterwards, so a snapshot published meanwhile is either not a
 * candidate or already visible as a head. (`gc run` re-checks the protections under its lock.)
 */
import { lstat, readdir } from 'node:fs/promises';

import { loadConfig } from '../config/config.js';
import { effectiveRetention, type EffectiveRetention, type RetentionFlags } from '../config/retention.js';
import { formatTimestamp, nowNs, parseTimestamp } from '../encoding/timestamp.js';
import type { Descriptor } from '../formats/descriptor.js';
import { byteOrder } from '../encoding/order.js';
import { newPlanId, writeGcPlan, type GcPlan } from '../formats/gc-plan.js';
import { listLocks } from '../locks/index.js';
import { getCore } from '../native/index.js';
import { listSnapshots } from '../repo/catalog.js';
import type { RepoLayout } from '../repo/layout.js';
import type { Repository } from '../repo/repository.js';
import { ancestorsOf, baseProtection } from './protect.js';

const TMP = '.tmp';

/** Every directory in `.jvs/snapshots/`, `<id>.tmp` ones included (symlinks are not directories). */
async function snapshotDirectories(layout: RepoLayout): Promise<string[]> {
  try {
    return (await readdir(layout.snapshotsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Whether a live lock may be building an intent-less `<id>.tmp`. A tmp directory does not say
 * which worktree it belongs to (only its intent does), so any held worktree lock covers all.
 */
async function anyWorktreeLockHeld(layout: RepoLayout): Promise<boolean> {
  return (await listLocks(layout)).some((l) => l.scope.kind === 'worktree' && l.status !== 'stale');
}

/** Snapshots kept by the retention policy (§7 step 3); `newestFirst` is the catalog order. */
function retained(newestFirst: readonly Descriptor[], policy: EffectiveRetention, now: bigint): Set<string> {
  const keep = new Set(newestFirst.slice(0, Math.max(0, policy.keep_min_snapshots)).map((d) => d.snapshot_id));
  for (const d of newestFirst) {
    const created = parseTimestamp(d.created_at)?.ns;
    const young = policy.keep_min_age > 0n && created !== undefined && now - created < policy.keep_min_age;
    if (young || (d.tags ?? []).some((t) => policy.keep_tags.includes(t))) keep.add(d.snapshot_id);
  }
  return keep;
}

/** Sum of the lstat sizes of every non-directory entry under `dir`; 0 when it cannot be walked. */
async function treeBytes(dir: string): Promise<number> {
  try {
    return (await getCore().walk(dir)).reduce((sum, e) => (e.kind === 'dir' ? sum : sum + e.size), 0);
  } catch {
    return 0;
  }
}

async function fileBytes(path: string): Promise<number> {
  return lstat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/** `deletable_bytes_estimate`: each directory's tree plus its descriptor (§7). */
async function estimateBytes(layout: RepoLayout, ids: readonly string[]): Promise<number> {
  let total = 0;
  for (const id of ids) total += (await treeBytes(layout.snapshotDir(id))) + (await fileBytes(layout.descriptor(id)));
  return total;
}

const countOutside = (set: ReadonlySet<string>, ...excluded: ReadonlySet<string>[]): number =>
  [...set].filter((id) => !excluded.some((x) => x.has(id))).length;

/**
 * Computes and writes a plan (`.jvs/gc/<plan_id>.json` + extras), appends audit `gc_plan`, and
 * returns it. Directories whose descriptor does not load are warned about
 * (`gc: skipping descriptor <id>: <err>`) and stay deletable.
 */
export async function gcPlan(repo: Repository, flags: RetentionFlags = {}): Promise<GcPlan> {
  const layout = repo.layout;
  const policy = effectiveRetention(await loadConfig(layout), flags);
  const now = nowNs();

  const dirs = await snapshotDirectories(layout);
  const lockHeld = await anyWorktreeLockHeld(layout);
  const catalog = await listSnapshots(layout);
  for (const u of [...catalog.unloadable].sort((a, b) => byteOrder(a.id, b.id))) repo.warn(`gc: skipping descriptor ${u.id}: ${u.error.message}`);

  const { roots, pinned, inFlight } = await baseProtection(layout, now);
  const kept = retained(catalog.snapshots, policy, now);
  const direct = new Set([...roots, ...pinned, ...inFlight, ...kept]);
  const lineage = await ancestorsOf(layout, direct, new Map(catalog.snapshots.map((d) => [d.snapshot_id, d])));
  const protectedIds = new Set([...direct, ...lineage]);

  // An intent's `<id>.tmp` is already protected (in flight); a held lock keeps the others.
  const candidates = dirs.filter((name) => !(lockHeld && name.endsWith(TMP)));
  const toDelete = candidates.filter((id) => !protectedIds.has(id)).sort(byteOrder);
  const uncounted = new Set([...roots, ...inFlight]);
  const plan: GcPlan = {
    plan_id: newPlanId(),
    created_at: formatTimestamp(now),
    protected_set: [...protectedIds].sort(byteOrder),
    protected_by_pin: countOutside(pinned, uncounted),
    protected_by_lineage: lineage.size,
    protected_by_retention: countOutside(kept, uncounted, pinned),
    candidate_count: toDelete.length,
    to_delete: toDelete,
    deletable_bytes_estimate: await estimateBytes(layout, toDelete),
    retention_policy: { keep_min_snapshots: policy.keep_min_snapshots, keep_min_age: policy.keep_min_age },
  };
  await writeGcPlan(layout, plan, policy.keep_tags);
  await repo.audit({
    event_type: 'gc_plan',
    details: { plan_id: plan.plan_id, candidate_count: plan.candidate_count, deletable_bytes_estimate: plan.deletable_bytes_estimate },
  });
  return plan;
}
