/**
 * The READY marker `.jvs/snapshots/<ID>/.READY` and the intent `.jvs/intents/<ID>.json`
 * (CONTRACT §3.7): compact JSON, no newline.
 */
import { readFile } from 'node:fs/promises';

import { encodeJson } from '../encoding/json.js';
import { writeFileAtomic } from '../fs/atomic.js';

/** The name that marks a complete snapshot; never part of a payload, never copied to a worktree. */
export const READY = '.READY';

export interface ReadyMarker {
  snapshot_id: string;
  completed_at: string;
  payload_root_hash: string;
  engine: string;
  descriptor_checksum: string;
}

export interface Intent {
  snapshot_id: string;
  worktree_name: string;
  started_at: string;
  engine: string;
}

export function encodeReady(r: ReadyMarker): string {
  return encodeJson(
    {
      snapshot_id: r.snapshot_id,
      completed_at: r.completed_at,
      payload_root_hash: r.payload_root_hash,
      engine: r.engine,
      descriptor_checksum: r.descriptor_checksum,
    },
    { pretty: false },
  );
}

export async function writeReady(path: string, r: ReadyMarker): Promise<void> {
  await writeFileAtomic(path, encodeReady(r), 0o644);
}

export function encodeIntent(i: Intent): string {
  return encodeJson(
    { snapshot_id: i.snapshot_id, worktree_name: i.worktree_name, started_at: i.started_at, engine: i.engine },
    { pretty: false },
  );
}

export async function writeIntent(path: string, i: Intent): Promise<void> {
  await writeFileAtomic(path, encodeIntent(i), 0o644);
}

/** Reads an intent; undefined when it is missing or unreadable (doctor reports those). */
export async function readIntent(path: string): Promise<Intent | undefined> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as Partial<Intent>;
    return {
      snapshot_id: String(o.snapshot_id ?? ''),
      worktree_name: String(o.worktree_name ?? ''),
      started_at: String(o.started_at ?? ''),
      engine: String(o.engine ?? ''),
    };
  } catch {
    return undefined;
  }
}
