/**
 * Ref resolution for diff, ls and cat (CONTRACT §5.1): `HEAD` is the head of the worktree the
 * command runs in (if any); errors carry the command's context (`resolve from snapshot`, `ls`).
 */
import { JvsError } from '../errors.js';
import type { Descriptor } from '../formats/descriptor.js';
import { resolveForDiff } from '../repo/refs.js';
import type { Repository } from '../repo/repository.js';
import { loadWorktree } from '../snapshot/snapshot.js';

export async function resolveInWorktree(repo: Repository, ref: string, worktree: string | undefined, context: string): Promise<Descriptor> {
  const head = worktree ? (await loadWorktree(repo, worktree)).head_snapshot_id : undefined;
  try {
    return await resolveForDiff(repo.layout, ref, { inWorktree: worktree !== undefined, ...(head ? { headId: head } : {}) });
  } catch (e) {
    throw e instanceof JvsError ? e.withContext(context) : e;
  }
}
