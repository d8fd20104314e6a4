/**
 * Worktree configs `.jvs/worktrees/<name>/config.json` (CONTRACT §3.3). Pretty JSON, fields in
 * order, empty ids left out, unknown fields dropped on rewrite (as v8.2 does). Rewritten only
 * under the worktree lock.
 */

import { encodeJson } from '../encoding/json.js';
import { JvsError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readFormatFile } from './read.js';

export interface WorktreeConfig {
  name: string;
  base_snapshot_id?: string;
  head_snapshot_id?: string;
  latest_snapshot_id?: string;
  created_at: string;
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`json: cannot unmarshal ${typeof v} into Go struct field WorktreeConfig.${key} of type string`);
  return v;
}

export function parseWorktreeConfig(text: string): WorktreeConfig {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('json: cannot unmarshal non-object into Go value of type model.WorktreeConfig');
  }
  const o = raw as Record<string, unknown>;
  const cfg: WorktreeConfig = { name: optionalString(o, 'name') ?? '', created_at: optionalString(o, 'created_at') ?? '' };
  for (const k of ['base_snapshot_id', 'head_snapshot_id', 'latest_snapshot_id'] as const) {
    const v = optionalString(o, k);
    if (v !== undefined) cfg[k] = v;
  }
  return cfg;
}

export function encodeWorktreeConfig(c: WorktreeConfig): string {
  return encodeJson(
    {
      name: c.name,
      base_snapshot_id: c.base_snapshot_id || undefined,
      head_snapshot_id: c.head_snapshot_id || undefined,
      latest_snapshot_id: c.latest_snapshot_id || undefined,
      created_at: c.created_at,
    },
    { pretty: true },
  );
}

/** Reads a config; missing → E_NOT_FOUND, unreadable or invalid → E_IO. */
export function readWorktreeConfig(path: string): Promise<WorktreeConfig> {
  return readFormatFile(path, parseWorktreeConfig, (detail, cause) => new JvsError('E_IO', `parse worktree config: ${detail}`, { cause }));
}

export async function writeWorktreeConfig(path: string, c: WorktreeConfig): Promise<void> {
  await writeFileAtomic(path, encodeWorktreeConfig(c), 0o644);
}

/** Detached ⇔ latest non-empty and head ≠ latest (§5.2). */
export function isDetached(c: WorktreeConfig): boolean {
  return !!c.latest_snapshot_id && c.head_snapshot_id !== c.latest_snapshot_id;
}
