/**
 * `jvs history` (CONTRACT §2.4): a worktree's lineage from its head, or every snapshot of the
 * repository with `all`.
 */
import type { Descriptor } from '../formats/descriptor.js';
import { parentOf } from '../formats/descriptor.js';
import { listSnapshots, tryDescriptor } from './catalog.js';
import type { RepoLayout } from './layout.js';

export interface HistoryOptions {
  /** Lineage of this worktree's head (required unless `all`). */
  headId?: string;
  all?: boolean;
  /** 0 = unlimited; negative emits nothing. */
  limit?: number;
  /** Case-sensitive substring of the note. */
  grep?: string;
  /** Exact tag. */
  tag?: string;
}

function keep(d: Descriptor, o: HistoryOptions): boolean {
  if (o.grep !== undefined && !(d.note ?? '').includes(o.grep)) return false;
  if (o.tag !== undefined && !(d.tags ?? []).includes(o.tag)) return false;
  return true;
}

/** The descriptors to show, newest first. */
export async function history(layout: RepoLayout, o: HistoryOptions): Promise<Descriptor[]> {
  const limit = o.limit ?? 0;
  if (limit < 0) return [];
  const out: Descriptor[] = [];
  const full = (): boolean => limit > 0 && out.length >= limit;
  if (o.all) {
    for (const d of (await listSnapshots(layout)).snapshots) {
      if (full()) break;
      if (keep(d, o)) out.push(d);
    }
    return out;
  }
  // The catalog holds every listed snapshot in memory; a parent that is not listed (a
  // descriptor without its directory) is read directly, as v8.2 would.
  const byId = new Map((await listSnapshots(layout)).snapshots.map((d) => [d.snapshot_id, d]));
  const seen = new Set<string>();
  let id = o.headId;
  // A descriptor that fails to load ends the walk silently, and so does a cycle.
  while (id && !seen.has(id) && !full()) {
    seen.add(id);
    const d = byId.get(id) ?? (await tryDescriptor(layout, id));
    if (!d) break;
    if (keep(d, o)) out.push(d);
    id = parentOf(d);
  }
  return out;
}
