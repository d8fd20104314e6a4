/** Repositories with garbage in them, and readers of what GC leaves behind. */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Repository } from '../../src/index.js';
import { readWorktreeConfig, writeWorktreeConfig } from '../../src/formats/worktree-config.js';
import { freshRepo } from '../support/repo.js';

export interface Chain {
  repo: Repository;
  root: string;
  warnings: string[];
  /** Snapshot ids of main, oldest first (each the parent of the next). */
  ids: string[];
}

/** A repository whose main worktree has `n` snapshots in one lineage, head = latest = the last. */
export async function chain(parent: string, name: string, n: number): Promise<Chain> {
  const { repo, root, warnings } = await freshRepo(parent, name);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    await writeFile(join(root, 'main', 'f.txt'), `version ${i}`);
    ids.push((await repo.snapshot({ worktree: 'main', note: `note ${i}`, tags: [`t${i}`] })).snapshot_id);
  }
  return { repo, root, warnings, ids };
}

/**
 * Points main's head and latest at `id`: what remains after newer work was abandoned (as when a
 * worktree is removed), so the snapshots after `id` are reachable from nothing.
 */
export async function pointMainAt(repo: Repository, id: string | undefined): Promise<void> {
  const path = repo.layout.worktreeConfig('main');
  const cfg = await readWorktreeConfig(path);
  const { head_snapshot_id: _h, latest_snapshot_id: _l, ...rest } = cfg;
  await writeWorktreeConfig(path, id === undefined ? rest : { ...rest, head_snapshot_id: id, latest_snapshot_id: id });
}

export interface AuditLine {
  event_type: string;
  snapshot_id?: string;
  details?: Record<string, unknown>;
}

export async function auditEvents(root: string, type: string): Promise<AuditLine[]> {
  const text = await readFile(join(root, '.jvs/audit/audit.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditLine)
    .filter((r) => r.event_type === type);
}

/** Entries of a directory; none when it is missing. */
export async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}
