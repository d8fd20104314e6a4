/**
 * `rebuild_index` (CONTRACT §8.2, §3.12): our caches rebuilt from the snapshot directories —
 * `.jvs/ext/manifests` and `.jvs/ext/meta` — and the stat caches dropped.
 *
 * Manifests are rebuilt into a fresh store beside the old one and swapped in, so damaged
 * objects (which the store never rewrites once present) cannot survive. A snapshot whose
 * payload no longer matches its descriptor gets no new manifest from its payload; its old
 * manifest, when intact, is the only record of what it held (verify lists the differences from
 * it) and is carried over. Existing metadata that reads is kept (it knows the requested engine
 * and degradations, which the snapshot does not); missing metadata is derived from the
 * descriptor, and that of snapshots that no longer exist is removed.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { readDescriptor, type Descriptor } from '../formats/descriptor.js';
import { READY } from '../formats/markers.js';
import { readMeta, writeMeta, type SnapshotMeta } from '../formats/meta.js';
import { pathExists } from '../fs/exists.js';
import { recordedManifest } from '../integrity/differences.js';
import { writeManifest } from '../manifest/store.js';
import { getCore, type HashRecord } from '../native/index.js';
import { snapshotDirs } from '../repo/catalog.js';
import { RepoLayout } from '../repo/layout.js';
import { sortedEntries, type DoctorContext } from './context.js';
import type { RepairOutcome } from './types.js';

/** The manifest a snapshot should have: from its payload when that still matches, else the recorded one. */
async function manifestOf(layout: RepoLayout, id: string, d: Descriptor): Promise<{ records: HashRecord[]; rootHash: string } | undefined> {
  // Compressed payloads are not their logical tree (§3.9): hashing them proves nothing.
  if (!d.compression) {
    try {
      const hashed = await getCore().hashTree(layout.snapshotDir(id), { records: true });
      if (hashed.rootHash === d.payload_root_hash) return { records: hashed.records ?? [], rootHash: hashed.rootHash };
    } catch {
      // Unhashable (special file, I/O error): fall back to what was recorded.
    }
  }
  return recordedManifest(layout, id);
}

async function derivedMeta(layout: RepoLayout, id: string, d: Descriptor): Promise<SnapshotMeta> {
  const m: SnapshotMeta = {
    requested_engine: d.engine,
    engine: d.engine,
    degraded: [],
    kind: (d.tags ?? []).includes('jvs-safety') ? 'safety' : 'normal',
  };
  // Our compressed layout keeps a plain root READY; v8.2's has `.READY.gz` (§3.9).
  if (d.compression && (await pathExists(join(layout.snapshotDir(id), READY)))) m.compressed_layout = 'jvs';
  return m;
}

async function rebuildManifests(layout: RepoLayout, snapshots: readonly { id: string; d: Descriptor }[]): Promise<number> {
  // A layout rooted in our scratch area: the same store format, written beside the live one.
  const scratch = join(layout.extTmp, `rebuild-index-${process.pid}`);
  await rm(scratch, { recursive: true, force: true });
  const staged = new RepoLayout(scratch);
  await mkdir(staged.manifestsDir, { recursive: true });
  let written = 0;
  for (const { id, d } of snapshots) {
    const m = await manifestOf(layout, id, d);
    if (!m) continue;
    await writeManifest(staged, id, m.records, m.rootHash);
    written++;
  }
  // Interrupted anywhere here, the leftovers are in the scratch area (clean_tmp) and the
  // manifests at worst absent, which only costs a rebuild.
  const old = join(scratch, 'old');
  if (await pathExists(layout.manifestsDir)) await rename(layout.manifestsDir, old);
  await rename(staged.manifestsDir, layout.manifestsDir);
  await rm(scratch, { recursive: true, force: true });
  return written;
}

async function rebuildMeta(layout: RepoLayout, snapshots: readonly { id: string; d: Descriptor }[]): Promise<void> {
  const ids = new Set(snapshots.map((s) => s.id));
  for (const { id, d } of snapshots) {
    if (!(await readMeta(layout.meta(id)))) await writeMeta(layout.meta(id), await derivedMeta(layout, id, d));
  }
  const metaDir = layout.metaDir;
  for (const name of await sortedEntries(metaDir)) {
    const id = name.slice(0, -'.json'.length);
    // An in-flight or crashed snapshot's metadata is clean_intents' to judge.
    if (name.endsWith('.json') && !ids.has(id) && !(await pathExists(layout.intent(id)))) await rm(join(metaDir, name), { force: true });
  }
}

export async function rebuildIndex(ctx: DoctorContext): Promise<RepairOutcome> {
  const { layout } = ctx;
  const snapshots: { id: string; d: Descriptor }[] = [];
  for (const id of await snapshotDirs(layout)) {
    const d = await readDescriptor(layout.descriptor(id)).catch(() => undefined);
    if (d) snapshots.push({ id, d });
  }
  const written = await rebuildManifests(layout, snapshots);
  await rebuildMeta(layout, snapshots);
  for (const name of await sortedEntries(dirname(layout.extWorktreeDir('_')))) await rm(layout.statCache(name), { force: true });
  return { message: `rebuilt ${written} snapshot records`, cleaned: written };
}
