/**
 * The snapshot publication protocol (CONTRACT §3.4), run with the worktree lock held.
 *
 * Order is what makes it crash-safe: nothing is visible before the rename of `<ID>.tmp`, and
 * the descriptor is written before that rename, so a published directory always has one. Each
 * step is a named crash point (src/crash.ts); doctor repairs what each crash leaves (§3.4 end).
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { crashPoint } from '../crash.js';
import { nowNs, nowTimestamp } from '../encoding/timestamp.js';
import { degradationOf, type Degradation } from '../engine/degradation.js';
import { CORE_TO_STORED, STORED_TO_CORE, type StoredEngine } from '../engine/select.js';
import { JvsError } from '../errors.js';
import { fsyncDir } from '../fs/atomic.js';
import { readDescriptor, sealDescriptor, writeDescriptor, type Descriptor } from '../formats/descriptor.js';
import { READY, writeIntent, writeReady } from '../formats/markers.js';
import { writeMeta } from '../formats/meta.js';
import { dropManifest, loadManifest, manifestRoot, writeIndexManifest, writeManifest, writePatchedManifest } from '../manifest/store.js';
import { getCore, isCoreError, walkAhead, type CloneOptions, type CloneReport, type IndexedTree, type Progress, type WalkEntry } from '../native/index.js';
import { cacheOfRecords, emptyStatCache, hashCacheOf, knownHashes, pathKey, stageStatCache, statIdOfStats, stillStats, trustedHash, type HashCache, type StatCacheOut, type StatCacheRef } from '../statcache/cache.js';
import type { CompressOutcome } from '../compress/index.js';
import type { RepoLayout } from '../repo/layout.js';
import type { StagedFile } from '../fs/atomic.js';
import { pathExists } from '../fs/exists.js';
import { removeTree } from '../gc/remove-tree.js';
import { notSubvolumeReason, sealSubvolumeSnapshot, takeSubvolumeSnapshot } from './btrfs.js';
import { hashFromCache, hashSnapshotFromCache, type FromCache, type OnPatched } from './from-cache.js';
import { unsupportedFileError } from './unsupported.js';
import { rawPath } from '../fs/raw-path.js';

export type { Degradation } from '../engine/degradation.js';

export interface SnapshotRequest {
  worktree: string;
  /** The worktree's payload directory. */
  payload: string;
  note: string;
  tags: string[];
  /** Validated partial paths (snapshot/paths.ts); undefined for a full snapshot. */
  paths?: string[];
  engine: StoredEngine;
  /** The current head: the new snapshot's parent. */
  parentId?: string;
  kind: 'normal' | 'safety';
  /**
   * The worktree's stat cache (full snapshots): what did not change since it was taken is not
   * read again (§3.4 step 7, issue 4) — from-cache.ts when the cache describes the parent,
   * else the files whose stat it vouches for and that did not change while they were cloned.
   */
  statCache?: StatCacheRef;
  /** gzip level of our compressed layout (1, 6 or 9); absent or 0 = not compressed (§3.9). */
  compress?: number;
  onProgress?: (p: Progress) => void;
  /**
   * Runs after publication and before the intent is removed (§3.4 step 12: the head update),
   * so that a crash in between leaves the intent for doctor to explain.
   */
  onPublished?: (d: Descriptor) => Promise<void>;
}

export interface SnapshotOutcome {
  descriptor: Descriptor;
  degraded?: Degradation;
  /** What step 8 did, when compression was requested: files compressed, or the name collision. */
  compression?: CompressOutcome;
  /** Why a requested btrfs-snapshot was cloned instead (for a note). */
  notSnapshot?: string;
}

/** The named steps, in order; tests crash at each (JVS_CRASH_AT=snapshot:<step>). */
export const SNAPSHOT_STEPS = [
  'snapshot:intent',
  'snapshot:materialized',
  'snapshot:synced',
  'snapshot:hashed',
  'snapshot:descriptor',
  'snapshot:published',
  'snapshot:head',
] as const;


/** `printf("%013d-%s", unix_millis, 8 hex)`, unused by any snapshot, tmp dir or descriptor. */
async function newSnapshotId(layout: RepoLayout): Promise<string> {
  for (;;) {
    const id = `${String(Date.now()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
    if (!(await pathExists(layout.snapshotDir(id))) && !(await pathExists(layout.snapshotTmp(id))) && !(await pathExists(layout.descriptor(id)))) {
      return id;
    }
  }
}

/** Rejects special files before anything is written (§3.4 step 2). */
async function checkSource(walking: Promise<WalkEntry[]>, paths: readonly string[] | undefined): Promise<WalkEntry[]> {
  const entries = await walking;
  const scope = paths?.includes('.') ? undefined : paths;
  for (const e of entries) {
    const err = unsupportedFileError(e);
    if (!err) continue;
    const rel = e.path.toString();
    if (scope && !scope.some((p) => rel === p || rel.startsWith(`${p}/`))) continue;
    throw err;
  }
  return entries;
}

/** Merges clone reports of several materializations (a partial snapshot's paths) into one. */
export function mergeReports(reports: CloneReport[], requested: CloneReport['requested']): CloneReport {
  const degraded = [...new Set(reports.flatMap((r) => r.degraded))];
  const anyRequested = reports.some((r) => r.engine === requested);
  return {
    requested,
    engine: reports.length === 0 || anyRequested ? requested : 'copy',
    files: reports.reduce((s, r) => s + r.files, 0),
    dirs: reports.reduce((s, r) => s + r.dirs, 0),
    symlinks: reports.reduce((s, r) => s + r.symlinks, 0),
    bytes: reports.reduce((s, r) => s + r.bytes, 0),
    linked: reports.reduce((s, r) => s + r.linked, 0),
    fallbacks: reports.flatMap((r) => r.fallbacks),
    hardlinksSplit: reports.flatMap((r) => r.hardlinksSplit),
    xattrsSkipped: reports.flatMap((r) => r.xattrsSkipped),
    degraded,
  };
}

/**
 * Creates the directories above a partial path in the snapshot with the source's permission
 * bits (they are part of the payload hash), umask-independent.
 */
async function makeParents(payload: string, tmp: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join('/');
    if (await pathExists(join(tmp, sub))) continue;
    await mkdir(join(tmp, sub));
    await chmod(join(tmp, sub), (await stat(join(payload, sub))).mode & 0o7777);
  }
}

/**
 * The engines whose snapshots link unchanged files to the parent snapshot's copies. The copy
 * engine, not to copy them (issue 4); reflink too: a reflink is still a metadata transaction per
 * file, a link a third of it (1000 files of 10 MiB on XFS: `cp -a --reflink=always` 47 ms,
 * `cp -al` 14 ms). Snapshots are immutable, so sharing inodes between them is safe; JuiceFS
 * clones and btrfs subvolume snapshots are whole-tree operations with nothing to link.
 */
const LINKING_ENGINES: ReadonlySet<StoredEngine> = new Set(['copy', 'reflink-copy']);

/** Whether `req`'s clone may link from the copies of `parent`: a linking engine, a plain whole parent. */
function mayLinkFrom(req: SnapshotRequest, parent: Descriptor): boolean {
  return LINKING_ENGINES.has(req.engine) && !parent.compression && !parent.partial_paths;
}

/**
 * Files the copy and reflink engines may hard-link from the parent snapshot instead of copying:
 * the stat cache vouches for their content and it equals the parent's manifest record. The
 * engine still checks size, mtime, mode and owner before linking.
 */
function linkFromParent(layout: RepoLayout, cache: HashCache | undefined, before: readonly WalkEntry[], parent: LinkableParent | undefined): CloneOptions['linkFrom'] {
  if (!parent || !cache) return undefined;
  const paths = before.filter((e) => {
    const key = pathKey(e.path);
    const hash = trustedHash(cache, e, key);
    return hash !== undefined && parent.hashes.get(key) === hash;
  }).map((e) => e.path);
  return paths.length > 0 ? { root: layout.snapshotDir(parent.id), paths } : undefined;
}

/** The parent snapshot whose copies may be linked, with its files' content hashes. */
interface LinkableParent {
  id: string;
  hashes: Map<string, string>;
}

/**
 * None for an engine that does not link (LINKING_ENGINES), a partial snapshot, a partial or
 * compressed parent, or a parent without a manifest.
 */
async function linkableParent(layout: RepoLayout, req: SnapshotRequest): Promise<LinkableParent | undefined> {
  if (!req.statCache || !req.parentId || !LINKING_ENGINES.has(req.engine) || !isWhole(req)) return undefined;
  const parent = await readDescriptor(layout.descriptor(req.parentId)).catch(() => undefined);
  if (!parent || !mayLinkFrom(req, parent)) return undefined;
  const manifest = await loadManifest(layout, parent.snapshot_id, parent.payload_root_hash);
  if (!manifest) return undefined;
  const hashes = new Map<string, string>();
  for (const r of manifest.records) if (r.kind === 'file') hashes.set(pathKey(r.path), r.hash);
  return { id: parent.snapshot_id, hashes };
}

/**
 * The source's stats after its clone, for the files whose cached hashes the hash step takes.
 * A linked file holds the parent's copy, whose content is the cached hash whatever the source
 * did meanwhile; so when every requested link was made, only the other vouched-for files are
 * looked at again (a status may have cached a changed file's new hash), else the whole source
 * is walked again. Files looked at are the before-walk's; the cache refreshed from these stats
 * stays sound by the racy rule (takenNs precedes the walk).
 */
async function statsAfterClone(req: SnapshotRequest, cache: HashCache, before: readonly WalkEntry[], linkFrom: CloneOptions['linkFrom'], report: CloneReport | undefined): Promise<WalkEntry[]> {
  if (!linkFrom?.paths || report?.linked !== linkFrom.paths.length) return getCore().walk(req.payload);
  const linked = new Set(linkFrom.paths.map(pathKey));
  const after: WalkEntry[] = [];
  for (const e of before) {
    const key = pathKey(e.path);
    if (e.kind !== 'file' || linked.has(key) || trustedHash(cache, e, key) === undefined) {
      after.push(e);
      continue;
    }
    const st = await lstat(rawPath(req.payload, e.path), { bigint: true }).catch(() => undefined);
    if (st) after.push({ ...e, statId: statIdOfStats(st) });
  }
  return after;
}

/** The stat cache step 7 is taken from (from-cache.ts), and the parent it describes. */
interface CacheBase {
  /** Read after the clone (stepFromCache), not to hold both at once. */
  ref: StatCacheRef;
  /** The parent manifest's root object: the new manifest patches it. */
  parentRoot: string;
  /** The parent snapshot's tree (a btrfs snapshot's changes are searched from it). */
  parentDir: string;
  /** The copy and reflink engines link from the parent snapshot's copies (a plain, whole parent). */
  linkFrom?: CloneOptions['linkFrom'];
}

/** The cache when it describes the parent of a whole snapshot, and the parent's manifest is at hand. */
async function cacheBase(layout: RepoLayout, req: SnapshotRequest): Promise<CacheBase | undefined> {
  const ref = req.statCache;
  if (!ref || !isWhole(req) || !req.parentId || ref.base !== req.parentId) return undefined;
  const parent = await readDescriptor(layout.descriptor(req.parentId)).catch(() => undefined);
  const parentRoot = parent && (await manifestRoot(layout, parent.snapshot_id, parent.payload_root_hash));
  if (!parent || !parentRoot) return undefined;
  const parentDir = layout.snapshotDir(parent.snapshot_id);
  return { ref, parentRoot, parentDir, ...(mayLinkFrom(req, parent) ? { linkFrom: { root: parentDir } } : {}) };
}

/** What step 5 did: the engine that produced the tree, and the clone's report if it cloned. */
interface Materialized {
  engine: StoredEngine;
  report?: CloneReport;
  /** Why btrfs-snapshot was requested but the tree was cloned (nested subvolume, refusal). */
  notSnapshot?: string;
}

/**
 * Step 5: the payload (or each partial path at its relative location) into `tmp`; `scratch`
 * is a private directory for staging single entries (removed by the caller). btrfs-snapshot
 * takes a whole worktree as one subvolume snapshot (src/snapshot/btrfs.ts); a partial snapshot,
 * or a worktree it cannot take whole, is cloned with reflink. Without the walk `before` (a
 * snapshot from the cache), nested subvolumes are found in the snapshot afterwards.
 */
async function materialize(req: SnapshotRequest, tmp: string, scratch: string, linkFrom: CloneOptions['linkFrom'], before: readonly WalkEntry[] | undefined): Promise<Materialized> {
  let notSnapshot: string | undefined;
  if (req.engine === 'btrfs-snapshot' && isWhole(req)) {
    notSnapshot = await takeSubvolumeSnapshot(req.payload, tmp, before);
    if (notSnapshot === undefined) return { engine: 'btrfs-snapshot' };
  }
  const report = await cloneSource(req, tmp, scratch, linkFrom);
  return { engine: CORE_TO_STORED[report.engine], report, ...(notSnapshot ? { notSnapshot } : {}) };
}

async function cloneSource(req: SnapshotRequest, tmp: string, scratch: string, linkFrom: CloneOptions['linkFrom']): Promise<CloneReport> {
  const engine = STORED_TO_CORE[req.engine === 'btrfs-snapshot' ? 'reflink-copy' : req.engine];
  const core = getCore();
  const opts = req.onProgress ? { engine, onProgress: req.onProgress } : { engine };
  if (!req.paths || req.paths.includes('.')) {
    // The root-level `.READY` (a v8.2 restore leftover) is never copied.
    return core.cloneTree(req.payload, tmp, { ...opts, exclude: [READY], ...(linkFrom ? { linkFrom } : {}) });
  }
  await mkdir(tmp);
  await chmod(tmp, (await stat(req.payload)).mode & 0o7777);
  const reports: CloneReport[] = [];
  for (const p of req.paths) {
    const dst = join(tmp, p);
    if (await pathExists(dst)) continue; // inside an earlier path (e.g. `a` then `a/b`)
    await makeParents(req.payload, tmp, p);
    if ((await lstat(join(req.payload, p))).isDirectory()) {
      reports.push(await core.cloneTree(join(req.payload, p), dst, opts));
      continue;
    }
    // A single file or symlink: staged in our scratch area (never in .jvs/snapshots/), then
    // moved to its place in the snapshot.
    const stage = join(scratch, `${reports.length}`);
    reports.push(await core.materializeEntries(req.payload, [Buffer.from(p)], stage, opts));
    await rename(join(stage, '0'), dst);
  }
  return mergeReports(reports, engine);
}


/**
 * Step 7 from the stat cache (from-cache.ts) for what `made` put at `tmp`: a subvolume
 * snapshot is scanned itself (one holding a nested subvolume is replaced by a clone), a clone
 * through the worktree. A linked clone the cache cannot make right is cloned again without
 * links. `quick` is undefined when the tree must be hashed whole.
 */
async function stepFromCache(req: SnapshotRequest, tmp: string, scratch: string, base: CacheBase, made: Materialized, cloneNs: bigint, onPatched: OnPatched): Promise<{ made: Materialized; quick?: FromCache; indexed?: IndexedTree }> {
  const reclone = (notSnapshot?: string): Promise<Materialized> => cloneAgain(req, tmp, scratch, notSnapshot);
  const cache = await base.ref.load();
  if (!cache) {
    // Damaged since its head was read: nothing to reuse. A clone linked from the parent may
    // hold the parent's copy of a file changed at the same size and mtime: cloned again.
    return stepFresh(req, tmp, scratch, base.linkFrom && made.report ? await reclone(made.notSnapshot) : made, cloneNs);
  }
  const fromClone = async (m: Materialized, linkedFrom: string | undefined): Promise<{ made: Materialized; quick?: FromCache }> => {
    const q = await hashFromCache(req.payload, tmp, scratch, cache, m.report!, linkedFrom, { cloneNs, scanNs: nowNs(), onPatched });
    if (q !== 'relink') return { made: m, ...(q ? { quick: q } : {}) };
    return { made: await reclone(m.notSnapshot) };
  };
  if (made.engine !== 'btrfs-snapshot') return made.report ? fromClone(made, base.linkFrom?.root) : { made };
  const frozen = await hashSnapshotFromCache(tmp, base.parentDir, cache, (await lstat(req.payload, { bigint: true })).dev, cloneNs, onPatched);
  if (!frozen || !('foreign' in frozen)) return { made, ...(frozen ? { quick: frozen } : {}) };
  // A nested subvolume, which the snapshot shows empty: the worktree is cloned instead.
  return fromClone(await reclone(notSubvolumeReason(frozen.foreign)), undefined);
}

/** What `tmp` holds replaced by a clone of the worktree without links (`notSnapshot`: why not a subvolume snapshot). */
async function cloneAgain(req: SnapshotRequest, tmp: string, scratch: string, notSnapshot?: string): Promise<Materialized> {
  await removeTree(tmp);
  const cloned = await cloneSource(req, tmp, scratch, undefined);
  return { engine: CORE_TO_STORED[cloned.engine], report: cloned, ...(notSnapshot ? { notSnapshot } : {}) };
}

/** A snapshot of the whole worktree (no `--paths`, or `.` among them). */
function isWhole(req: SnapshotRequest): boolean {
  return !req.paths || req.paths.includes('.');
}

/**
 * Whether step 7 has nothing to reuse: a whole snapshot whose stat cache is empty (a first
 * snapshot; a deleted or damaged cache). Then no walk precedes the clone (the clone refuses
 * special files itself), and the tree is hashed straight into its index (stepFresh).
 */
function isFresh(req: SnapshotRequest): boolean {
  return isWhole(req) && req.statCache !== undefined && req.statCache.empty;
}

/**
 * Step 7 with nothing to reuse: the clone `tmp` hashed into an index of its records — held as
 * bytes, never as an object per entry, so memory follows the tree's size in bytes — and the
 * worktree's identities vouched into it: an entry untouched since `cloneNs`, before the clone
 * began, is what the clone holds. A subvolume snapshot that shows a nested subvolume or mount
 * (an entry of the worktree on another device) is replaced by a clone.
 */
async function stepFresh(req: SnapshotRequest, tmp: string, scratch: string, made: Materialized, cloneNs: bigint): Promise<{ made: Materialized; indexed: IndexedTree }> {
  const indexed = await getCore().hashTreeIndex(tmp, req.onProgress ? { onProgress: req.onProgress } : {});
  const { foreign } = await getCore().vouchIndex(req.payload, indexed.index, cloneNs);
  if (!foreign || made.engine !== 'btrfs-snapshot') return { made, indexed };
  return stepFresh(req, tmp, scratch, await cloneAgain(req, tmp, scratch, notSubvolumeReason(foreign)), cloneNs);
}

/**
 * The new snapshot's stat cache, from the moment it is known to its place beside the worktree.
 * It is written under a temporary name while the snapshot goes on (at a million entries, 100 MB:
 * from a patched cache, during the summary's hashing) and put in place after the head moved:
 * it names the new snapshot as its base, and the old cache stays until then. Failing to write
 * it fails nothing (the cache is an optimisation).
 */
class CacheStage {
  private staged: Promise<StagedFile | undefined> | undefined;
  private of: StatCacheOut | undefined;

  constructor(
    private readonly layout: RepoLayout,
    private readonly worktree: string,
    private readonly id: string,
  ) {}

  /** Starts writing `c` (its base becomes the new snapshot). */
  stage(c: StatCacheOut): void {
    this.of = c;
    this.staged = stageStatCache(this.layout, this.worktree, { ...c, base: this.id }).catch(() => undefined);
  }

  /** Step 7 chose `c` (none: the cache is left as it was): a cache staged for another is dropped. */
  async settle(c: StatCacheOut | undefined): Promise<void> {
    if (this.of === c) return;
    await this.discard();
    if (c) this.stage(c);
  }

  async commit(): Promise<void> {
    const staged = await this.staged;
    this.staged = undefined;
    await staged?.commit().catch(() => undefined);
  }

  async discard(): Promise<void> {
    const staged = await this.staged;
    this.staged = this.of = undefined;
    await staged?.discard();
  }
}

/**
 * Creates and publishes a snapshot of `req.payload`. The worktree config (through
 * `onPublished`) and the audit log are the caller's, so safety snapshots can leave the head.
 */
export async function createSnapshot(layout: RepoLayout, req: SnapshotRequest): Promise<SnapshotOutcome> {
  // When the stats below were taken: the reference point of the racily-clean rule.
  const takenNs = nowNs();
  const base = await cacheBase(layout, req);
  const fresh = !base && isFresh(req);
  // Otherwise, the walk runs on its own threads while the parent's manifest is read here.
  const walking = base || fresh ? undefined : walkAhead(req.payload);
  const parent = base || fresh ? Promise.resolve(undefined) : linkableParent(layout, req);
  parent.catch(() => undefined);
  const before = walking ? await checkSource(walking, req.paths) : undefined;
  const hashCache = !base && !fresh && req.statCache ? hashCacheOf((await req.statCache.load()) ?? emptyStatCache()) : undefined;
  const id = await newSnapshotId(layout);
  const tmp = layout.snapshotTmp(id);
  const cache = new CacheStage(layout, req.worktree, id);
  let published = false;
  try {
    await mkdir(layout.intentsDir, { recursive: true });
    await writeIntent(layout.intent(id), { snapshot_id: id, worktree_name: req.worktree, started_at: nowTimestamp(), engine: req.engine });
    crashPoint('snapshot:intent');

    const scratch = join(layout.extTmp, `${id}.partial`);
    const linkFrom = base ? base.linkFrom : linkFromParent(layout, hashCache, before ?? [], await parent);
    // Before the clone: what a snapshot from the cache observes is no older (btrfs: its moment).
    const cloneNs = nowNs();
    let made: Materialized;
    let quick: FromCache | undefined;
    let indexed: IndexedTree | undefined;
    try {
      made = await materialize(req, tmp, scratch, linkFrom, before);
      crashPoint('snapshot:materialized');
      // Step 7 from the cache (before the sync: it may copy a file again), when it can vouch for the clone.
      if (base) ({ made, quick, indexed } = await stepFromCache(req, tmp, scratch, base, made, cloneNs, (c) => cache.stage(c)));
      else if (fresh) ({ made, indexed } = await stepFresh(req, tmp, scratch, made, cloneNs));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const report = made.report;
    // A subvolume snapshot is durable when taken (src/snapshot/btrfs.ts).
    if (report) await getCore().syncTree(tmp);
    crashPoint('snapshot:synced');

    let rootHash: string;
    let statCache: StatCacheOut | undefined;
    if (quick && (await writePatchedManifest(layout, id, base!.parentRoot, quick.edits, quick.rootHash).then(() => true, () => false))) {
      rootHash = quick.rootHash;
      statCache = quick.cache;
    } else if (indexed) {
      await writeIndexManifest(layout, id, indexed.index, tmp, indexed.rootHash);
      rootHash = indexed.rootHash;
      statCache = { takenNs: cloneNs, base: id, body: indexed.index };
    } else {
      // A file whose stat the cache vouches for, identical before and after its clone, holds
      // the cached content in the clone too: its hash is taken instead of reading it.
      const after = isWhole(req) && hashCache && before ? await statsAfterClone(req, hashCache, before, linkFrom, report) : undefined;
      const known = after && hashCache && before ? knownHashes(hashCache, before, after) : [];
      const hashed = await getCore().hashTree(tmp, { records: true, known });
      const records = hashed.records ?? [];
      await writeManifest(layout, id, records, hashed.rootHash);
      rootHash = hashed.rootHash;
      if (after) {
        // Entries that held still around the clone hold what the clone's records say.
        const still = stillStats(before!, after);
        statCache = cacheOfRecords(id, takenNs, records, (r) => still.get(pathKey(r.path)));
      }
    }
    // Written while the snapshot is finished; put in place once it is published.
    await cache.settle(statCache);
    crashPoint('snapshot:hashed');

    // [compress hook] Step 8: our compressed layout (src/compress), made durable like step 6.
    const compression = req.compress ? await (await import('../compress/index.js')).compressTree(tmp, req.compress) : undefined;
    const compressed = compression !== undefined && 'files' in compression;
    if (compressed) await getCore().syncTree(tmp);

    const degraded = degradationOf(req.engine, report);
    const usedEngine = made.engine;
    const draft: Omit<Descriptor, 'descriptor_checksum'> = {
      snapshot_id: id,
      worktree_name: req.worktree,
      created_at: nowTimestamp(),
      engine: usedEngine,
      payload_root_hash: rootHash,
      integrity_state: 'verified',
    };
    if (req.parentId) draft.parent_id = req.parentId;
    if (req.note) draft.note = req.note;
    if (req.tags.length > 0) draft.tags = req.tags;
    if (req.paths) draft.partial_paths = req.paths;
    if (compressed) draft.compression = { type: 'gzip', level: req.compress! };
    const descriptor = sealDescriptor(draft);
    await writeReady(join(tmp, READY), {
      snapshot_id: id,
      completed_at: nowTimestamp(),
      payload_root_hash: descriptor.payload_root_hash,
      engine: descriptor.engine,
      descriptor_checksum: descriptor.descriptor_checksum,
    });
    await writeMeta(layout.meta(id), {
      requested_engine: req.engine,
      engine: usedEngine,
      degraded: degraded?.reasons ?? [],
      kind: req.kind,
      ...(compressed ? { compressed_layout: 'jvs' as const } : {}),
    });
    await writeDescriptor(layout.descriptor(id), descriptor);
    crashPoint('snapshot:descriptor');
    if (usedEngine === 'btrfs-snapshot') await sealSubvolumeSnapshot(tmp);

    await rename(tmp, layout.snapshotDir(id));
    published = true;
    await fsyncDir(layout.snapshotsDir);
    crashPoint('snapshot:published');
    await req.onPublished?.(descriptor);
    crashPoint('snapshot:head');
    await cache.commit();
    await unlink(layout.intent(id));
    const outcome: SnapshotOutcome = { descriptor };
    if (degraded) outcome.degraded = degraded;
    if (made.notSnapshot) outcome.notSnapshot = made.notSnapshot;
    if (compression) outcome.compression = compression;
    return outcome;
  } catch (e) {
    await cache.discard();
    if (!published) await abandon(layout, id);
    if (isCoreError(e) && e.code === 'E_UNSUPPORTED_FILE') throw new JvsError('E_UNSUPPORTED_FILE', `E_UNSUPPORTED_FILE: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Removes everything an unpublished snapshot left (§3.4: "a failure before step 11"). */
async function abandon(layout: RepoLayout, id: string): Promise<void> {
  await removeTree(layout.snapshotTmp(id)).catch(() => undefined);
  await unlink(layout.descriptor(id)).catch(() => undefined);
  await unlink(layout.meta(id)).catch(() => undefined);
  await dropManifest(layout, id);
  await unlink(layout.intent(id)).catch(() => undefined);
}
