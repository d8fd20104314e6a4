/**
 * Check 6 and `resume_restore` (CONTRACT §8, §5.3): a restore journal whose worktree is not
 * locked is an interrupted restore, completed by re-running it; a v8.2 restore backup
 * (`<payload>.restore-backup-*`) is the old payload v8.2 moved aside before crashing.
 */
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { fsyncDir, TMP_PREFIX } from '../fs/atomic.js';
import { pathExists } from '../fs/exists.js';
import { nameProblem } from '../repo/names.js';
import { readJournal } from '../restore/journal.js';
import { resumeRestore } from '../restore/restore.js';
import { saveSafetySnapshot } from '../snapshot/snapshot.js';
import { sortedEntries, type DoctorContext } from './context.js';
import { restoreSiblings, type Sibling } from './siblings.js';
import { finding, type Finding, type RepairOutcome } from './types.js';

interface Journalled {
  worktree: string;
  snapshotId: string;
  path: string;
}

async function interruptedRestores(ctx: DoctorContext): Promise<Journalled[]> {
  const dir = ctx.layout.restoreDir;
  const out: Journalled[] = [];
  for (const name of await sortedEntries(dir)) {
    const worktree = name.slice(0, -'.json'.length);
    if (!name.endsWith('.json') || name.startsWith(TMP_PREFIX) || nameProblem(worktree) !== undefined) continue;
    if (ctx.live.worktreeBusy(worktree)) continue;
    const path = join(dir, name);
    // An unreadable journal counts as absent (§3.12): there is nothing it could resume.
    const j = await readJournal(path);
    if (j) out.push({ worktree, snapshotId: j.snapshot_id, path });
  }
  return out;
}

async function leftoverBackups(ctx: DoctorContext): Promise<Sibling[]> {
  return (await restoreSiblings(ctx.layout, 'backup')).filter((b) => !ctx.live.worktreeBusy(b.worktree));
}

export async function checkRestores(ctx: DoctorContext): Promise<Finding[]> {
  const journals = (await interruptedRestores(ctx)).map((j) =>
    finding('restore', 'warning', `interrupted restore of worktree '${j.worktree}' to ${j.snapshotId}`, { path: j.path, repair: 'resume_restore' }),
  );
  const backups = (await leftoverBackups(ctx)).map((b) =>
    finding('restore', 'warning', `leftover restore backup: ${b.name}`, { path: b.path, repair: 'resume_restore' }),
  );
  return [...journals, ...backups];
}

/**
 * A v8.2 backup: with the payload gone, v8.2 crashed before putting the restored tree in place,
 * so the backup goes back. Otherwise the payload is the restored tree and the backup may hold
 * unsnapshotted work: it is kept as a safety snapshot of that worktree (§5.3), then deleted.
 */
async function recoverBackup(ctx: DoctorContext, b: Sibling): Promise<void> {
  const { repo, layout } = ctx;
  const payload = layout.payload(b.worktree);
  if (!(await pathExists(payload))) {
    await rename(b.path, payload);
    await fsyncDir(dirname(payload));
    return;
  }
  const d = await saveSafetySnapshot(repo, b.worktree, `safety: v8.2 restore backup ${b.name}`, b.path);
  repo.note(`saved ${b.name} as safety snapshot ${d.snapshot_id}`);
  await rm(b.path, { recursive: true, force: true });
}

export async function resumeRestores(ctx: DoctorContext): Promise<RepairOutcome> {
  let resumed = 0;
  for (const j of await interruptedRestores(ctx)) {
    await resumeRestore(ctx.repo, j.worktree);
    resumed++;
  }
  for (const b of await leftoverBackups(ctx)) {
    await recoverBackup(ctx, b);
    resumed++;
  }
  return { message: `resumed ${resumed} restores`, cleaned: resumed };
}
