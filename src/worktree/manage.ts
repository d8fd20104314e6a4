/**
 * `jvs worktree list|path|rename|remove` (CONTRACT §2.7).
 */
import { rename, rm } from 'node:fs/promises';

import { JvsError } from '../errors.js';
import { pathExists } from '../fs/exists.js';
import { removeTree } from '../gc/remove-tree.js';
import { isDetached, writeWorktreeConfig, type WorktreeConfig } from '../formats/worktree-config.js';
import { assertInside } from '../repo/contain.js';
import { validateName } from '../repo/names.js';
import type { Repository } from '../repo/repository.js';
import { requireWorktree, worktreeExists } from './lookup.js';

/** Every loadable config, sorted by name; unloadable ones are warned about (§2.7 list). */
export async function listWorktrees(repo: Repository): Promise<WorktreeConfig[]> {
  return repo.worktreeConfigs((name, err) => repo.warn(`skipping malformed worktree ${name}: ${(err as Error).message}`));
}

/** The payload path of an existing worktree. */
export async function worktreePath(repo: Repository, name: string): Promise<string> {
  await requireWorktree(repo, name);
  return repo.layout.payload(name);
}

/** Moves `from` to `to` if it exists (our per-worktree data may not). */
async function moveIfPresent(from: string, to: string): Promise<void> {
  if (await pathExists(from)) await rename(from, to);
}

export async function renameWorktree(repo: Repository, oldName: string, newName: string): Promise<void> {
  const cfg = await requireWorktree(repo, oldName);
  if (oldName === 'main') throw new JvsError('E_NAME_INVALID', 'rename worktree: cannot rename main worktree');
  try {
    validateName(newName);
  } catch (e) {
    throw (e as JvsError).withContext('rename worktree');
  }
  if (await worktreeExists(repo, newName)) throw new JvsError('E_EXISTS', `rename worktree: worktree ${newName} already exists`);
  const l = repo.layout;
  try {
    for (const p of [l.payload(oldName), l.payload(newName), l.worktreeDir(oldName), l.worktreeDir(newName)]) await assertInside(repo.root, p);
  } catch (e) {
    throw (e as JvsError).withContext('rename worktree');
  }
  await moveIfPresent(l.payload(oldName), l.payload(newName));
  await rename(l.worktreeDir(oldName), l.worktreeDir(newName));
  await moveIfPresent(l.extWorktreeDir(oldName), l.extWorktreeDir(newName));
  await moveIfPresent(l.restoreJournal(oldName), l.restoreJournal(newName));
  await writeWorktreeConfig(l.worktreeConfig(newName), { ...cfg, name: newName });
  await repo.audit({ event_type: 'worktree_rename', worktree_name: newName, details: { old_name: oldName, new_name: newName } });
}

export async function removeWorktree(repo: Repository, name: string, opts: { force?: boolean } = {}): Promise<void> {
  const cfg = await requireWorktree(repo, name);
  if (isDetached(cfg) && !opts.force) {
    throw new JvsError('E_DETACHED', `worktree '${name}' is in detached state`, {
      hint: `To remove anyway, use: jvs worktree remove --force ${name}`,
      stdout: `\nCurrent position: ${cfg.head_snapshot_id ?? ''}\nLatest snapshot: ${cfg.latest_snapshot_id ?? ''}\n\nTo remove anyway, use: jvs worktree remove --force ${name}\n`,
    });
  }
  if (name === 'main') throw new JvsError('E_NAME_INVALID', 'remove worktree: cannot remove main worktree');
  const l = repo.layout;
  try {
    await assertInside(repo.root, l.payload(name));
    await assertInside(repo.root, l.worktreeDir(name));
  } catch (e) {
    throw (e as JvsError).withContext('remove worktree');
  }
  await removeTree(l.payload(name));
  await rm(l.worktreeDir(name), { recursive: true, force: true });
  await rm(l.extWorktreeDir(name), { recursive: true, force: true });
  await repo.audit({ event_type: 'worktree_remove', worktree_name: name, details: { head_snapshot_id: cfg.head_snapshot_id ?? '' } });
}
