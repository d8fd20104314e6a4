/**
 * Lineage (CONTRACT §8 check 5, also run by `verify --all`): every `parent_id` must name a
 * snapshot whose descriptor exists or that GC deleted (tombstone), and following parents must
 * never come back to where it started.
 */
import { byteOrder } from '../encoding/order.js';
import { parentOf, type Descriptor } from '../formats/descriptor.js';
import { hasTombstone } from '../formats/tombstone.js';
import { pathExists } from '../fs/exists.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';

export interface LineageProblem {
  /** The snapshot the problem is reported on (for a cycle: its smallest id, byte order). */
  snapshotId: string;
  /** `snapshot <id>: parent <pid> not found` or `lineage cycle through <id>`. */
  description: string;
  /** The descriptor concerned. */
  path: string;
}

async function parentKnown(layout: RepoLayout, id: string): Promise<boolean> {
  // An id that cannot be a file name cannot have a descriptor or a tombstone either.
  if (!isSafeComponent(id)) return false;
  return (await pathExists(layout.descriptor(id))) || (await hasTombstone(layout, id));
}

/** Cycles of the parent graph, each named by its smallest id; sorted. */
function cycles(parents: Map<string, string>): string[] {
  const done = new Set<string>();
  const found: string[] = [];
  for (const start of [...parents.keys()].sort(byteOrder)) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let at: string | undefined = start;
    while (at !== undefined && !done.has(at) && !onPath.has(at)) {
      path.push(at);
      onPath.add(at);
      at = parents.get(at);
    }
    if (at !== undefined && onPath.has(at)) found.push(path.slice(path.indexOf(at)).sort(byteOrder)[0]!);
    for (const id of path) done.add(id);
  }
  return found.sort(byteOrder);
}

/** Missing parents (in id order), then cycles. */
export async function checkLineage(layout: RepoLayout, snapshots: readonly Descriptor[]): Promise<LineageProblem[]> {
  const problems: LineageProblem[] = [];
  const parents = new Map<string, string>();
  const byId = [...snapshots].sort((a, b) => byteOrder(a.snapshot_id, b.snapshot_id));
  for (const d of byId) {
    const pid = parentOf(d);
    if (pid === undefined) continue;
    parents.set(d.snapshot_id, pid);
    if (!(await parentKnown(layout, pid))) {
      problems.push({
        snapshotId: d.snapshot_id,
        description: `snapshot ${d.snapshot_id}: parent ${pid} not found`,
        path: layout.descriptor(d.snapshot_id),
      });
    }
  }
  for (const id of cycles(parents)) {
    problems.push({ snapshotId: id, description: `lineage cycle through ${id}`, path: layout.descriptor(id) });
  }
  return problems;
}
