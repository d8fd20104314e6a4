/**
 * A snapshot's records (its manifest, CONTRACT §3.12): what diff, ls, cat, restore and verify
 * work from instead of re-reading payload bytes.
 */
import { JvsError } from '../errors.js';
import type { Descriptor } from '../formats/descriptor.js';
import { loadManifest, writeManifest } from '../manifest/store.js';
import { getCore, type HashRecord } from '../native/index.js';
import type { Repository } from '../repo/repository.js';

/**
 * The snapshot's records: its manifest, or — for snapshots written by v8.2 — rebuilt by hashing
 * the snapshot directory, which must reproduce the descriptor's payload root hash. Compressed
 * snapshots are their logical tree (§3.9); a v8.2-compressed one that cannot be reconstructed
 * exactly is still used as it is (and gets no manifest).
 */
export async function snapshotRecords(repo: Repository, d: Descriptor): Promise<HashRecord[]> {
  const loaded = await loadManifest(repo.layout, d.snapshot_id, d.payload_root_hash);
  if (loaded) return loaded.records;
  const dir = repo.layout.snapshotDir(d.snapshot_id);
  let hashed;
  let inexactAllowed = false;
  try {
    if (d.compression) {
      // [compress hook] The logical tree instead of the stored one.
      const logical = await (await import('../compress/index.js')).openCompressed(repo.layout, d);
      hashed = await logical.hash();
      inexactAllowed = logical.layout === 'v8.2';
    } else hashed = await getCore().hashTree(dir, { records: true });
  } catch (e) {
    const gone = (e as { code?: string }).code === 'E_NOT_FOUND';
    throw new JvsError(gone ? 'E_PARTIAL_SNAPSHOT' : 'E_IO', gone ? `E_PARTIAL_SNAPSHOT: snapshot directory not found: ${d.snapshot_id}` : String((e as Error).message), { cause: e });
  }
  if (hashed.rootHash !== d.payload_root_hash && inexactAllowed) return hashed.records ?? [];
  if (hashed.rootHash !== d.payload_root_hash) throw new JvsError('E_PAYLOAD_HASH_MISMATCH', 'E_PAYLOAD_HASH_MISMATCH: payload hash mismatch');
  const records = hashed.records ?? [];
  await writeManifest(repo.layout, d.snapshot_id, records, d.payload_root_hash).catch(() => undefined);
  return records;
}

