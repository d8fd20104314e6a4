/**
 * The restore journal `.jvs/ext/restore/<worktree>.json` (CONTRACT §5.3 property 6), written
 * before the first change and removed after the last: while it exists, the worktree may be
 * half-restored, and re-running the journalled restore completes it.
 */
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import { encodeJson } from '../encoding/json.js';
import { writeFileAtomic } from '../fs/atomic.js';

export interface RestoreJournal {
  worktree: string;
  snapshot_id: string;
  /** The restore's scope, or null for a full restore. */
  paths: string[] | null;
  safety_snapshot_id: string | null;
  started_at: string;
}

export async function writeJournal(path: string, j: RestoreJournal): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(
    path,
    encodeJson({ worktree: j.worktree, snapshot_id: j.snapshot_id, paths: j.paths, safety_snapshot_id: j.safety_snapshot_id, started_at: j.started_at }, { pretty: true }),
    0o644,
  );
}

/** The journal, or undefined when there is none or it cannot be read (§3.12: treated as absent). */
export async function readJournal(path: string): Promise<RestoreJournal | undefined> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as Partial<RestoreJournal>;
    if (typeof o.snapshot_id !== 'string' || typeof o.worktree !== 'string') return undefined;
    return {
      worktree: o.worktree,
      snapshot_id: o.snapshot_id,
      paths: Array.isArray(o.paths) ? o.paths.map(String) : null,
      safety_snapshot_id: typeof o.safety_snapshot_id === 'string' ? o.safety_snapshot_id : null,
      started_at: String(o.started_at ?? ''),
    };
  } catch {
    return undefined;
  }
}

export async function removeJournal(path: string): Promise<void> {
  await unlink(path).catch((e: { code?: string }) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
