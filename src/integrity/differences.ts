/**
 * Which entries of a snapshot changed since it was taken (CONTRACT §2.8 `differences`): the
 * payload's hash records compared with the manifest written at creation (§3.12).
 *
 * The descriptor cannot be trusted here — the payload no longer matches it, and it may have
 * been edited too — so the manifest is loaded against the hash its own pointer recorded:
 * `loadManifest` still checks every object id and that the records reproduce that hash, so a
 * damaged manifest yields "unknown", never a wrong list.
 */
import { readFile } from 'node:fs/promises';

import { loadManifest, pointerPath } from '../manifest/store.js';
import { getCore, type HashRecord } from '../native/index.js';
import type { RepoLayout } from '../repo/layout.js';

export interface Difference {
  /** Raw path bytes relative to the snapshot root (names need not be UTF-8). */
  path: Buffer;
  /** `added` = only on disk, `removed` = only in the manifest, `modified` = both, different. */
  type: 'added' | 'removed' | 'modified';
}

/**
 * A snapshot's manifest as recorded when the snapshot was made, with the payload root hash it
 * reproduces; undefined when absent or damaged.
 */
export async function recordedManifest(layout: RepoLayout, snapshotId: string): Promise<{ records: HashRecord[]; rootHash: string } | undefined> {
  let pointer: string;
  try {
    pointer = await readFile(pointerPath(layout, snapshotId), 'utf8');
  } catch {
    return undefined;
  }
  const rootHash = pointer.trim().split(' ')[1];
  if (!rootHash) return undefined;
  const loaded = await loadManifest(layout, snapshotId, rootHash, 'full');
  return loaded ? { records: loaded.records, rootHash } : undefined;
}

function sameEntry(a: HashRecord, b: HashRecord): boolean {
  // Exactly what the record's line of §4 holds: a size change of a symlink is not in its line.
  return a.kind === b.kind && a.perm === b.perm && a.hash === b.hash && (a.kind !== 'file' || a.size === b.size);
}

/** The differences between two record sets, sorted by path bytes. */
export function compareRecords(recorded: readonly HashRecord[], actual: readonly HashRecord[]): Difference[] {
  // latin1 is a 1:1 image of the bytes: usable as a Map key for any name.
  const before = new Map(recorded.map((r) => [r.path.toString('latin1'), r]));
  const out: Difference[] = [];
  for (const r of actual) {
    const key = r.path.toString('latin1');
    const old = before.get(key);
    if (!old) out.push({ path: r.path, type: 'added' });
    else if (!sameEntry(old, r)) out.push({ path: r.path, type: 'modified' });
    before.delete(key);
  }
  for (const r of before.values()) out.push({ path: r.path, type: 'removed' });
  return out.sort((a, b) => Buffer.compare(a.path, b.path));
}

/**
 * The differences of snapshot `snapshotId` (directory `dir`) from its manifest; undefined when
 * they cannot be known (no usable manifest, or the payload cannot be hashed). `actual`: the
 * payload's records when the caller has them (a compressed snapshot's logical tree, §3.9).
 */
export async function differencesOf(layout: RepoLayout, snapshotId: string, dir: string, actual?: HashRecord[]): Promise<Difference[] | undefined> {
  const recorded = await recordedManifest(layout, snapshotId);
  if (!recorded) return undefined;
  try {
    return compareRecords(recorded.records, actual ?? (await getCore().hashTree(dir, { records: true })).records ?? []);
  } catch {
    return undefined;
  }
}
