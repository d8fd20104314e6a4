/**
 * The manifest store `.jvs/ext/manifests/` (CONTRACT §3.12): tree objects under
 * `objects/<2 hex>/<62 hex>` and one pointer per snapshot, `snapshots/<ID>`, holding
 * `<root object id> <payload_root_hash>\n`.
 *
 * Manifests are a cache that can be rebuilt from the snapshot's payload: they are written
 * without fsync, every object read is checked against its id, and the pointer is trusted to
 * bind its root to its payload hash (ManifestCheck), so a torn or stale manifest is treated as
 * absent, never trusted.
 */
import { readFile, readdir, readlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { writeFileVisible } from '../fs/atomic.js';
import { assembleRecords, decodeIndex, type HashRecord } from '../native/index.js';
import { rawPath } from '../fs/raw-path.js';
import type { RepoLayout } from '../repo/layout.js';
import { TreeBuilder, buildTrees, decodeTree, patchTrees, sha256, type TreeEdit, type TreeEntry, type TreeObject } from './tree.js';
import { pathExists } from '../fs/exists.js';

function objectPath(layout: RepoLayout, id: string): string {
  return join(layout.manifestsDir, 'objects', id.slice(0, 2), id.slice(2));
}

/** Where a snapshot's pointer `<root object id> <payload_root_hash>\n` lives. */
export function pointerPath(layout: RepoLayout, snapshotId: string): string {
  return join(layout.manifestsDir, 'snapshots', snapshotId);
}


/** Stores the manifest of a snapshot; objects already present (shared directories) are skipped. */
export async function writeManifest(
  layout: RepoLayout,
  snapshotId: string,
  records: readonly HashRecord[],
  payloadRootHash: string,
): Promise<{ root: string; objectsWritten: number }> {
  return storeTrees(layout, snapshotId, buildTrees(records), payloadRootHash);
}

/**
 * Stores the manifest of a snapshot that differs from an earlier one (whose root object is
 * `baseRoot`) by `edits`: only the directories on the paths to the edits are read and written.
 * Throws when an object it needs is missing or damaged (the caller then writes it whole).
 */
export async function writePatchedManifest(
  layout: RepoLayout,
  snapshotId: string,
  baseRoot: string,
  edits: readonly TreeEdit[],
  payloadRootHash: string,
): Promise<{ root: string; objectsWritten: number }> {
  const read = objectReader(layout);
  return storeTrees(layout, snapshotId, await patchTrees(read.entries, baseRoot, edits), payloadRootHash);
}

async function storeTrees(layout: RepoLayout, snapshotId: string, trees: { root: string; objects: TreeObject[] }, payloadRootHash: string): Promise<{ root: string; objectsWritten: number }> {
  const written = await storeObjects(layout, trees.objects);
  await writePointer(layout, snapshotId, trees.root, payloadRootHash);
  return { root: trees.root, objectsWritten: written };
}

/** Writes the objects not yet stored (shared directories are skipped); returns how many. */
async function storeObjects(layout: RepoLayout, objects: readonly TreeObject[]): Promise<number> {
  let written = 0;
  for (const o of objects) {
    const p = objectPath(layout, o.id);
    if (await pathExists(p)) continue;
    await writeFileVisible(p, o.bytes, 0o644);
    written++;
  }
  return written;
}

async function writePointer(layout: RepoLayout, snapshotId: string, root: string, payloadRootHash: string): Promise<void> {
  await writeFileVisible(pointerPath(layout, snapshotId), `${root} ${payloadRootHash}\n`, 0o644);
}

/**
 * Stores the manifest of a snapshot from its records packed as an index (codec.ts), directory
 * by directory as the index completes them: no object per record is made, so memory follows
 * the directories open at a time. Symlink targets (kept by the manifest, not by the index)
 * are read from the snapshot's tree `tree`, and must hash to the index's.
 */
export async function writeIndexManifest(layout: RepoLayout, snapshotId: string, index: Buffer, tree: string, payloadRootHash: string): Promise<{ root: string; objectsWritten: number }> {
  const builder = new TreeBuilder();
  let written = 0;
  for (const x of decodeIndex(index)) {
    let target: Buffer | undefined;
    if (x.kind === 'symlink') {
      target = await readlink(rawPath(tree, x.path), { encoding: 'buffer' });
      if (sha256(target).toString('hex') !== x.hash) throw new Error(`manifest: the target of ${x.path.toString()} changed`);
    }
    const done = builder.add({ kind: x.kind, path: x.path, perm: x.perm, size: x.size, hash: Buffer.from(x.hash, 'hex'), ...(target ? { target } : {}) });
    if (done.length > 0) written += await storeObjects(layout, done);
  }
  const { root, objects } = builder.finish();
  written += await storeObjects(layout, objects);
  await writePointer(layout, snapshotId, root, payloadRootHash);
  return { root, objectsWritten: written };
}

async function readObject(layout: RepoLayout, id: string): Promise<Buffer> {
  const path = objectPath(layout, id);
  const bytes = await readFile(path);
  if (sha256(bytes).toString('hex') !== id) {
    // Bytes that do not hash to their name are no object at all (objects appear by rename, so
    // only a crash or an outside hand leaves such a file). Removing it makes it absent: the
    // rebuild the caller falls back to writes it again, where `writeManifest` would skip it.
    await unlink(path).catch(() => undefined);
    throw new Error(`manifest object ${id} does not match its id`);
  }
  return bytes;
}

/**
 * Reads tree objects by id, each read once and checked against its id; throws when one is
 * missing or damaged. `bytes` lets a diff compare two objects without decoding what they share.
 */
export interface ObjectReader {
  bytes(id: string): Promise<Buffer>;
  /** Decoded once; the entries are views of the object's bytes. */
  entries(id: string): Promise<TreeEntry[]>;
}

export function objectReader(layout: RepoLayout): ObjectReader {
  const bytes = new Map<string, Promise<Buffer>>();
  const entries = new Map<string, Promise<TreeEntry[]>>();
  const once = <T>(cache: Map<string, Promise<T>>, id: string, read: () => Promise<T>): Promise<T> => {
    let p = cache.get(id);
    if (!p) cache.set(id, (p = read()));
    return p;
  };
  const reader: ObjectReader = {
    bytes: (id) => once(bytes, id, () => readObject(layout, id)),
    entries: (id) => once(entries, id, async () => decodeTree(await reader.bytes(id))),
  };
  return reader;
}

/**
 * The root object id of a snapshot's manifest when its pointer names `expectedRootHash`, else
 * undefined (no manifest, or one of another payload). The pointer is trusted as `pointer`
 * loads trust it (ManifestCheck).
 */
export async function manifestRoot(layout: RepoLayout, snapshotId: string, expectedRootHash: string): Promise<string | undefined> {
  try {
    const [root, hash] = (await readFile(pointerPath(layout, snapshotId), 'utf8')).trim().split(' ');
    return root && /^[0-9a-f]{64}$/.test(root) && hash === expectedRootHash ? root : undefined;
  } catch {
    return undefined;
  }
}

const SLASH = Buffer.from('/');
const READY = Buffer.from('.READY');

/** The record of a tree entry at `path` (none for a `.READY` directory: §4 skips its own). */
export function recordOf(e: TreeEntry, path: Buffer): HashRecord | undefined {
  if (e.kind === 'unrecorded-dir') return undefined;
  if (e.kind === 'dir') return { kind: 'dir', path, perm: e.perm, size: 0, hash: sha256(e.name).toString('hex') };
  const rec: HashRecord = { kind: e.kind, path, perm: e.perm, size: e.size, hash: e.hash.toString('hex') };
  if (e.kind === 'symlink') rec.target = e.target ?? Buffer.alloc(0);
  return rec;
}

/** The records under a tree object, depth first, paths prefixed with `prefix`. */
async function collect(read: ObjectReader, id: string, prefix: Buffer, out: HashRecord[]): Promise<void> {
  for (const e of await read.entries(id)) {
    const path = prefix.length === 0 ? Buffer.from(e.name) : Buffer.concat([prefix, SLASH, e.name]);
    const rec = recordOf(e, path);
    if (rec) out.push(rec);
    if (e.kind === 'dir' || e.kind === 'unrecorded-dir') await collect(read, e.hash.toString('hex'), path, out);
  }
}

export interface LoadedManifest {
  root: string;
  records: HashRecord[];
}

/**
 * How much of a manifest a load checks. Every object is always checked against its id, so the
 * tree read is exactly the tree whose root the pointer names; and the pointer binds that root
 * to the payload hash it was computed from, in one atomic write by the code that computed both.
 * `pointer` trusts that binding (status, restore, diff, linking: O(files) of hashing saved on
 * every load); `full` also reassembles the records into the payload root hash — for verify and
 * doctor, whose job is to distrust.
 */
export type ManifestCheck = 'pointer' | 'full';

/**
 * Loads a snapshot's manifest if it exists and belongs to `expectedRootHash` (the descriptor's
 * payload_root_hash); otherwise undefined. Never throws for a missing or damaged manifest.
 */
export async function loadManifest(layout: RepoLayout, snapshotId: string, expectedRootHash: string, check: ManifestCheck = 'pointer'): Promise<LoadedManifest | undefined> {
  try {
    const root = await manifestRoot(layout, snapshotId, expectedRootHash);
    if (!root) return undefined;
    const records: HashRecord[] = [];
    await collect(objectReader(layout), root, Buffer.alloc(0), records);
    // Unrecorded directories are only ever `.READY`; anything else means a damaged object.
    if (records.some((r) => r.path.equals(READY))) return undefined;
    if (check === 'full' && assembleRecords(records).rootHash !== expectedRootHash) return undefined;
    return { root, records };
  } catch {
    return undefined;
  }
}

/**
 * The records of a snapshot at the given paths (keyed by the path as latin1; a path the
 * snapshot lacks has none), reading only the tree objects along those paths — not the whole
 * manifest. Undefined when the manifest is missing or damaged (the caller falls back to
 * loading the snapshot's records). The pointer is trusted as by `loadManifest`'s `pointer`.
 */
export async function recordsAt(layout: RepoLayout, snapshotId: string, expectedRootHash: string, paths: readonly Buffer[]): Promise<Map<string, HashRecord> | undefined> {
  try {
    const root = await manifestRoot(layout, snapshotId, expectedRootHash);
    if (!root) return undefined;
    const read = objectReader(layout);
    const out = new Map<string, HashRecord>();
    for (const path of paths) {
      const names = path.toString('latin1').split('/');
      let id = root;
      for (const [i, name] of names.entries()) {
        const e = (await read.entries(id)).find((x) => x.name.toString('latin1') === name);
        if (!e) break;
        if (i === names.length - 1) {
          const rec = recordOf(e, path);
          if (rec) out.set(path.toString('latin1'), rec);
        } else if (e.kind === 'dir' || e.kind === 'unrecorded-dir') id = e.hash.toString('hex');
        else break;
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Removes a snapshot's pointer (objects may be shared and are left for a sweep). */
export async function dropManifest(layout: RepoLayout, snapshotId: string): Promise<void> {
  await unlink(pointerPath(layout, snapshotId)).catch(() => undefined);
}

/**
 * Deletes tree objects that no snapshot pointer reaches (after GC dropped pointers). Only safe
 * when no snapshot is being written — under the repository lock with no worktree lock held —
 * because `writeManifest` skips objects that already exist. Objects reached only from damaged
 * manifests belong to manifests that cannot load anyway. Returns the number removed.
 */
export async function sweepObjects(layout: RepoLayout): Promise<number> {
  const live = new Set<string>();
  const mark = async (id: string): Promise<void> => {
    if (live.has(id)) return;
    live.add(id);
    let entries: TreeEntry[];
    try {
      entries = decodeTree(await readFile(objectPath(layout, id)));
    } catch {
      return;
    }
    for (const e of entries) if (e.kind === 'dir' || e.kind === 'unrecorded-dir') await mark(e.hash.toString('hex'));
  };
  const pointers = join(layout.manifestsDir, 'snapshots');
  for (const name of await readdir(pointers).catch(() => [] as string[])) {
    const root = (await readFile(join(pointers, name), 'utf8').catch(() => '')).split(' ')[0];
    if (root && /^[0-9a-f]{64}$/.test(root)) await mark(root);
  }
  let removed = 0;
  const objects = join(layout.manifestsDir, 'objects');
  for (const prefix of await readdir(objects).catch(() => [] as string[])) {
    for (const rest of await readdir(join(objects, prefix)).catch(() => [] as string[])) {
      if (live.has(prefix + rest)) continue;
      await unlink(join(objects, prefix, rest)).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}
