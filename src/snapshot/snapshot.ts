/**
 * `jvs snapshot` (CONTRACT §2.3): the checks in their order, then the publication protocol,
 * then the head update and the audit record.
 */
import { JvsError } from '../errors.js';
import { selectSnapshotEngine, type StoredEngine } from '../engine/select.js';
import { loadConfig } from '../config/config.js';
import { readWorktreeConfig, writeWorktreeConfig, isDetached, type WorktreeConfig } from '../formats/worktree-config.js';
import type { Descriptor } from '../formats/descriptor.js';
import type { Progress } from '../native/index.js';
import { tagProblem } from '../repo/names.js';
import { checkCompressionLevel } from '../compress/level.js';
import { pathExists } from '../fs/exists.js';
import type { Repository } from '../repo/repository.js';
import { createSnapshot } from './create.js';
import { degradationWarning, type Degradation } from '../engine/degradation.js';
import { validatePartialPaths } from './paths.js';
import { openStatCache } from '../statcache/cache.js';

export interface SnapshotOptions {
  /** The worktree to snapshot (the CLI passes the worktree of the current directory). */
  worktree: string;
  note?: string;
  tags?: string[];
  /** Partial snapshot of these paths (relative to the payload). */
  paths?: string[];
  /** `--compress`: gzip level 0 (none), 1, 6 or 9 (parse names with parseCompressionLevel). */
  compress?: number;
  /** Receives the number of files compressed (`compressed <n> files`, §2.3). */
  onCompressed?: (files: number) => void;
  onProgress?: (p: Progress) => void;
}

/** The `--json` output: the descriptor, plus `degraded` last when the engine degraded. */
export type SnapshotResult = Descriptor & { degraded?: Degradation };

/** Loads a worktree config with the error shapes commands print (`get worktree: …`). */
export async function loadWorktree(repo: Repository, name: string): Promise<WorktreeConfig> {
  try {
    return await readWorktreeConfig(repo.layout.worktreeConfig(name));
  } catch (e) {
    if (e instanceof JvsError) throw e.withContext('get worktree');
    throw e;
  }
}

export function detachedError(cfg: WorktreeConfig): JvsError {
  const head = cfg.head_snapshot_id ?? '';
  const short = head.slice(0, 8);
  return new JvsError('E_DETACHED', 'cannot create snapshot in detached state', {
    hint: `jvs worktree fork ${short} <new-worktree-name> | jvs restore HEAD`,
    stdout:
      `\nYou are currently at snapshot '${head}' (historical).\nTo continue working from this point:\n\n` +
      `    jvs worktree fork ${short} <new-worktree-name>\n\nOr return to the latest state:\n\n    jvs restore HEAD\n`,
  });
}

export async function snapshot(repo: Repository, opts: SnapshotOptions): Promise<SnapshotResult> {
  // Under the worktree lock (the Repository method takes it): an interrupted restore is
  // completed first, then the detached state is checked on the config as it now is.
  // The restore modules load only when there is one to complete (its journal is present).
  if (await pathExists(repo.layout.restoreJournal(opts.worktree))) await (await import('../restore/restore.js')).resumeRestore(repo, opts.worktree);
  const cfg = await loadWorktree(repo, opts.worktree);
  if (isDetached(cfg)) throw detachedError(cfg);
  const config = await loadConfig(repo.layout);
  const tags = [...(opts.tags ?? [])];
  for (const t of tags) {
    const p = tagProblem(t);
    if (p !== undefined) throw new JvsError('E_NAME_INVALID', `invalid tag "${t}": E_NAME_INVALID: ${p}`);
  }
  // Default tags are appended unless already present, and not validated (§2.3 step 6).
  for (const t of config.default_tags ?? []) if (!tags.includes(t)) tags.push(t);
  // A configured default_engine other than auto replaces detection for snapshots (§6.1).
  const configured = config.default_engine && config.default_engine !== 'auto' ? (config.default_engine as StoredEngine) : undefined;
  const payload = repo.layout.payload(opts.worktree);
  const choice = configured ? { engine: configured, warnings: [] } : await selectSnapshotEngine(repo.root, repo.layout.extTmp, payload, repo.env);
  for (const w of choice.warnings) repo.warn(w);
  if (opts.compress !== undefined) checkCompressionLevel(opts.compress); // §2.3 check 8 [compress hook]

  try {
    const paths = opts.paths ? await validatePartialPaths(payload, opts.paths) : undefined;
    const outcome = await createSnapshot(repo.layout, {
      worktree: opts.worktree,
      payload,
      note: opts.note ?? '',
      tags,
      ...(paths ? { paths } : {}),
      engine: choice.engine,
      ...(cfg.head_snapshot_id ? { parentId: cfg.head_snapshot_id } : {}),
      kind: 'normal',
      ...(opts.compress ? { compress: opts.compress } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(paths ? {} : { statCache: await openStatCache(repo.layout, opts.worktree) }),
      onPublished: async (d) => {
        await writeWorktreeConfig(repo.layout.worktreeConfig(opts.worktree), { ...cfg, head_snapshot_id: d.snapshot_id, latest_snapshot_id: d.snapshot_id });
      },
    });
    const d = outcome.descriptor;
    // [compress hook] Step 8's outcome: the count for `compressed <n> files`, or why not (§3.9).
    const c = outcome.compression;
    if (c && 'collision' in c) repo.warn(`compression skipped: name collision at ${c.collision}`);
    else if (c) opts.onCompressed?.(c.files);
    if (outcome.degraded) repo.warn(degradationWarning(outcome.degraded));
    if (outcome.notSnapshot) repo.note(`snapshot copied with ${d.engine}, not a btrfs subvolume snapshot: ${outcome.notSnapshot}`);
    await repo.audit({
      event_type: 'snapshot_create',
      snapshot_id: d.snapshot_id,
      worktree_name: opts.worktree,
      details: { checksum: d.descriptor_checksum, engine: d.engine, note: d.note ?? '', ...(paths ? { partial_paths: paths } : {}) },
    });
    return outcome.degraded ? { ...d, degraded: outcome.degraded } : d;
  } catch (e) {
    if (e instanceof JvsError) throw e.withContext('create snapshot');
    throw e;
  }
}

/**
 * A safety snapshot of a whole worktree (§5.3 property 5): parent = its head, tag
 * `jvs-safety`, meta kind `safety`, audited with `safety: true`; head and latest stay. Used by
 * restore before it overwrites unsaved work and by doctor for v8.2 restore backups (whose
 * payload is `payload`).
 */
export async function saveSafetySnapshot(repo: Repository, worktree: string, note: string, payload = repo.layout.payload(worktree)): Promise<Descriptor> {
  const cfg = await loadWorktree(repo, worktree);
  const choice = await selectSnapshotEngine(repo.root, repo.layout.extTmp, payload, repo.env);
  // The worktree's own payload has a stat cache: unchanged files are neither read nor copied.
  const own = payload === repo.layout.payload(worktree);
  const { descriptor: d } = await createSnapshot(repo.layout, {
    worktree,
    payload,
    note,
    tags: ['jvs-safety'],
    engine: choice.engine,
    ...(cfg.head_snapshot_id ? { parentId: cfg.head_snapshot_id } : {}),
    kind: 'safety',
    ...(own ? { statCache: await openStatCache(repo.layout, worktree) } : {}),
  });
  await repo.audit({
    event_type: 'snapshot_create',
    snapshot_id: d.snapshot_id,
    worktree_name: worktree,
    details: { checksum: d.descriptor_checksum, engine: d.engine, note: d.note ?? '', safety: true },
  });
  return d;
}
