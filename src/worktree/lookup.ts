/**
 * Finding worktrees by name and the "worktree '<name>' not found" block (CONTRACT §5.1).
 */
import { lstat } from 'node:fs/promises';

import { JvsError } from '../errors.js';
import { readWorktreeConfig, type WorktreeConfig } from '../formats/worktree-config.js';
import type { Repository } from '../repo/repository.js';

export async function notFoundWorktree(repo: Repository, name: string): Promise<JvsError> {
  let line: string;
  try {
    const names = await repo.worktreeNames();
    const lower = name.toLowerCase();
    let close = names.filter((n) => n.toLowerCase().startsWith(lower));
    if (close.length === 0) close = names.filter((n) => n.toLowerCase().includes(lower));
    if (close.length === 1) line = `  Did you mean: ${close[0]}?`;
    else if (close.length > 1) line = `  Did you mean one of: ${close.join(', ')}?`;
    else if (names.length > 0) line = `  Available worktrees: ${names.join(', ')}`;
    else line = '  No worktrees exist yet.';
  } catch {
    line = '  Run jvs worktree list to see available worktrees.';
  }
  return new JvsError('E_NOT_FOUND', `worktree '${name}' not found`, { shape: 'block', blockLines: [line], hint: line.trim() });
}

/** The config of an existing worktree, or the not-found block. */
export async function requireWorktree(repo: Repository, name: string): Promise<WorktreeConfig> {
  try {
    return await readWorktreeConfig(repo.layout.worktreeConfig(name));
  } catch (e) {
    if (e instanceof JvsError && e.code === 'E_NOT_FOUND') throw await notFoundWorktree(repo, name);
    throw e;
  }
}

export async function worktreeExists(repo: Repository, name: string): Promise<boolean> {
  try {
    await lstat(repo.layout.worktreeConfig(name));
    return true;
  } catch {
    return false;
  }
}
