/**
 * What every check and repair needs to know: the repository, and which operations are in
 * flight. Entries of a live operation are never reported or repaired (CONTRACT §8.1), and
 * liveness is decided by locks (§5.6): a lock that is live, held from another host or
 * unreadable counts as held; only a provably dead holder's does not.
 */
import { readdir } from 'node:fs/promises';

import { byteOrder } from '../encoding/order.js';
import { readWorktreeConfig, type WorktreeConfig } from '../formats/worktree-config.js';
import { listLocks } from '../locks/index.js';
import type { RepoLayout } from '../repo/layout.js';
import type { Repository } from '../repo/repository.js';

export interface Liveness {
  /** Whether an operation on worktree `name` holds its lock. */
  worktreeBusy(name: string): boolean;
  /** Whether someone else holds the repository lock (gc run, another doctor's repairs). */
  readonly repoBusy: boolean;
  /**
   * No operation holds any lock. Transients that cannot be tied to one operation
   * (`.jvs-tmp-*` files, `.jvs/ext/tmp/*`) are orphans only then.
   */
  readonly quiet: boolean;
}

export interface DoctorContext {
  readonly repo: Repository;
  readonly layout: RepoLayout;
  readonly live: Liveness;
}

/** `holdingRepoLock`: we hold the repository lock ourselves (repairs): it is not someone else's. */
export async function doctorContext(repo: Repository, holdingRepoLock: boolean): Promise<DoctorContext> {
  const held = (await listLocks(repo.layout)).filter((l) => l.status !== 'stale' && !(holdingRepoLock && l.scope.kind === 'repository'));
  const busy = new Set(held.flatMap((l) => (l.scope.kind === 'worktree' ? [l.scope.name] : [])));
  return {
    repo,
    layout: repo.layout,
    live: {
      worktreeBusy: (name) => busy.has(name),
      repoBusy: held.some((l) => l.scope.kind === 'repository'),
      quiet: held.length === 0,
    },
  };
}

export interface Worktree {
  name: string;
  config: WorktreeConfig;
}

/** Worktrees whose config loads, in name order; throws when the directory cannot be listed. */
export async function loadWorktrees(layout: RepoLayout): Promise<Worktree[]> {
  const out: Worktree[] = [];
  for (const name of (await readdir(layout.worktreesDir)).sort(byteOrder)) {
    try {
      out.push({ name, config: await readWorktreeConfig(layout.worktreeConfig(name)) });
    } catch {
      // No config (or a broken one): not a worktree doctor can reason about.
    }
  }
  return out;
}

/** Entries of a directory in byte order; none when it does not exist (or is not a directory). */
export async function sortedEntries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(byteOrder);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}
