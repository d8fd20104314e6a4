/**
 * Check 3 and `clean_intents` (CONTRACT §8, §3.4): an intent outlives its snapshot operation
 * only when that operation crashed. Removing it also removes what an unpublished snapshot left
 * outside `.jvs/snapshots/` — its descriptor (a crash between steps 10 and 11) and our
 * metadata and manifest pointer — once no directory of that id was published.
 */
import { rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { readIntent } from '../formats/markers.js';
import { TMP_PREFIX } from '../fs/atomic.js';
import { pathExists } from '../fs/exists.js';
import { dropManifest } from '../manifest/store.js';
import { isSafeComponent } from '../repo/names.js';
import { sortedEntries, type DoctorContext } from './context.js';
import { finding, type Finding, type RepairOutcome } from './types.js';

interface OrphanIntent {
  name: string;
  path: string;
  /** The snapshot id the file name gives (`<ID>.json`), when it is one. */
  id?: string;
}

/** Intent files whose operation is not live; `.jvs-tmp-*` names are check 11's. */
async function orphanIntents(ctx: DoctorContext): Promise<OrphanIntent[]> {
  const out: OrphanIntent[] = [];
  for (const name of await sortedEntries(ctx.layout.intentsDir)) {
    if (name.startsWith(TMP_PREFIX)) continue;
    const path = join(ctx.layout.intentsDir, name);
    const intent = await readIntent(path);
    // An intent that cannot be read names no worktree: it may be anyone's while any lock is held.
    const live = intent ? ctx.live.worktreeBusy(intent.worktree_name) : !ctx.live.quiet;
    if (live) continue;
    const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
    out.push({ name, path, ...(isSafeComponent(id) ? { id } : {}) });
  }
  return out;
}

export async function checkIntents(ctx: DoctorContext): Promise<Finding[]> {
  return (await orphanIntents(ctx)).map((o) => finding('intent', 'warning', `orphan intent file: ${o.name}`, { path: o.path, repair: 'clean_intents' }));
}

const ignoreMissing = (e: NodeJS.ErrnoException): void => {
  if (e.code !== 'ENOENT') throw e;
};

export async function cleanIntents(ctx: DoctorContext): Promise<RepairOutcome> {
  const { layout } = ctx;
  if (!(await pathExists(layout.intentsDir))) return { message: 'no intents directory', cleaned: 0 };
  let cleaned = 0;
  for (const o of await orphanIntents(ctx)) {
    // The descriptor goes first: were we interrupted, the intent still explains what is left.
    if (o.id !== undefined && !(await pathExists(layout.snapshotDir(o.id)))) {
      await unlink(layout.descriptor(o.id)).catch(ignoreMissing);
      await unlink(layout.meta(o.id)).catch(ignoreMissing);
      await dropManifest(layout, o.id);
    }
    await rm(o.path, { recursive: true, force: true });
    cleaned++;
  }
  return { message: `cleaned ${cleaned} orphan intent files`, cleaned };
}
