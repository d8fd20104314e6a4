/**
 * Check 4 (CONTRACT §8.1): incomplete snapshots. A published directory must have its
 * descriptor and READY marker; a descriptor without a directory is reported unless GC deleted
 * the snapshot (tombstone), GC is deleting it now (its directory sits in GC's trash), or an
 * intent explains it (check 3 reports that). No automatic repair: these need a human.
 */
import { byteOrder } from '../encoding/order.js';
import { hasTombstone } from '../formats/tombstone.js';
import { TMP_PREFIX } from '../fs/atomic.js';
import { pathExists } from '../fs/exists.js';
import { hasReadyMarker } from '../integrity/verify.js';
import { snapshotDirs } from '../repo/catalog.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';
import { sortedEntries, type DoctorContext } from './context.js';
import { finding, type Finding } from './types.js';

/** Ids of descriptor files (`<ID>.json`), atomic-write temps left to check 11. */
async function descriptorIds(layout: RepoLayout): Promise<string[]> {
  return (await sortedEntries(layout.descriptorsDir))
    .filter((n) => n.endsWith('.json') && !n.startsWith(TMP_PREFIX))
    .map((n) => n.slice(0, -'.json'.length))
    .filter(isSafeComponent);
}

async function descriptorExplained(layout: RepoLayout, id: string): Promise<boolean> {
  return (await hasTombstone(layout, id)) || (await pathExists(layout.gcTrash(id))) || (await pathExists(layout.intent(id)));
}

export async function checkSnapshots(ctx: DoctorContext): Promise<Finding[]> {
  const { layout } = ctx;
  const dirs = new Set(await snapshotDirs(layout));
  const descriptors = new Set(await descriptorIds(layout));
  const out: Finding[] = [];
  for (const id of [...new Set([...dirs, ...descriptors])].sort(byteOrder)) {
    const dir = layout.snapshotDir(id);
    if (dirs.has(id)) {
      if (!descriptors.has(id)) out.push(finding('snapshot', 'critical', `snapshot ${id}: descriptor not found`, { error_code: 'E_PARTIAL_SNAPSHOT', path: dir }));
      if (!(await hasReadyMarker(dir))) out.push(finding('snapshot', 'critical', `snapshot ${id}: READY marker missing`, { error_code: 'E_PARTIAL_SNAPSHOT', path: dir }));
    } else if (!(await descriptorExplained(layout, id))) {
      out.push(finding('snapshot', 'warning', `snapshot ${id}: snapshot directory not found`, { error_code: 'E_PARTIAL_SNAPSHOT', path: layout.descriptor(id) }));
    }
  }
  return out;
}
