/**
 * Tombstones `.jvs/gc/tombstones/<ID>.json` (CONTRACT §3.8): one per snapshot deleted by GC,
 * kept forever, so doctor and verify can tell "deleted by GC" from "missing".
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

import { encodeJson } from '../encoding/json.js';
import { nowTimestamp } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';
import { GoFields } from './gc-plan.js';

export interface Tombstone {
  snapshot_id: string;
  deleted_at: string;
  /** Always true when we write it. */
  reclaimable: boolean;
}

/** Pretty JSON, no trailing newline, fields in §3.8 order. */
export function encodeTombstone(t: Tombstone): string {
  return encodeJson({ snapshot_id: t.snapshot_id, deleted_at: t.deleted_at, reclaimable: t.reclaimable }, { pretty: true });
}

export function parseTombstone(text: string): Tombstone {
  const f = GoFields.parse(text, 'Tombstone');
  return { snapshot_id: f.string('snapshot_id'), deleted_at: f.string('deleted_at'), reclaimable: f.bool('reclaimable') };
}

function tombstonePath(layout: RepoLayout, id: string): string {
  if (!isSafeComponent(id)) throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: invalid snapshot id: ${id}`);
  return layout.tombstone(id);
}

/** Records that GC deleted `id` (atomic, 0644); returns what was written. */
export async function writeTombstone(layout: RepoLayout, id: string, deletedAt: string = nowTimestamp()): Promise<Tombstone> {
  const path = tombstonePath(layout, id);
  const t: Tombstone = { snapshot_id: id, deleted_at: deletedAt, reclaimable: true };
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, encodeTombstone(t), 0o644);
  return t;
}

/**
 * Whether GC deleted `id`: its tombstone file exists. The name alone is the proof (it is written
 * only by `gc run`), so content that no longer parses still counts.
 */
export async function hasTombstone(layout: RepoLayout, id: string): Promise<boolean> {
  const path = tombstonePath(layout, id);
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
