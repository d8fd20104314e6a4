/**
 * Our per-snapshot metadata `.jvs/ext/meta/<ID>.json` (CONTRACT §3.12): what v8.2's
 * descriptor cannot say — the engine requested, why it degraded, whether the snapshot is a
 * safety snapshot, which compressed layout it uses. Missing or unreadable → treated as absent.
 */
import { readFile } from 'node:fs/promises';

import { encodeJson } from '../encoding/json.js';
import { writeFileVisible } from '../fs/atomic.js';

export interface SnapshotMeta {
  requested_engine: string;
  engine: string;
  /** §6.2 reason names; empty when nothing degraded. */
  degraded: string[];
  kind: 'normal' | 'safety';
  compressed_layout?: 'jvs';
}

export function encodeMeta(m: SnapshotMeta): string {
  return encodeJson(
    {
      requested_engine: m.requested_engine,
      engine: m.engine,
      degraded: m.degraded,
      kind: m.kind,
      compressed_layout: m.compressed_layout,
    },
    { pretty: true },
  );
}

/** Written visible-at-once but not fsynced: meta is treated as absent when lost (§3.12). */
export async function writeMeta(path: string, m: SnapshotMeta): Promise<void> {
  await writeFileVisible(path, encodeMeta(m), 0o644);
}

export async function readMeta(path: string): Promise<SnapshotMeta | undefined> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as Partial<SnapshotMeta>;
    if (typeof o.engine !== 'string') return undefined;
    const m: SnapshotMeta = {
      requested_engine: String(o.requested_engine ?? o.engine),
      engine: o.engine,
      degraded: Array.isArray(o.degraded) ? o.degraded.map(String) : [],
      kind: o.kind === 'safety' ? 'safety' : 'normal',
    };
    if (o.compressed_layout === 'jvs') m.compressed_layout = 'jvs';
    return m;
  } catch {
    return undefined;
  }
}
