/**
 * The GC run state `.jvs/ext/gc/<plan_id>.run.json` (CONTRACT §3.12, §7 run steps 4–6): while it
 * exists a run is unfinished, and running the same plan again resumes it from here instead of
 * re-validating a plan that is already half executed. Compact JSON; rewritten atomically.
 */
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import { encodeJson } from '../encoding/json.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { errnoCode } from '../fs/go-errors.js';
import { byteOrder } from '../encoding/order.js';
import { GoFields } from '../formats/gc-plan.js';
import type { RepoLayout } from '../repo/layout.js';

export interface GcRunState {
  plan_id: string;
  /** `marked`: deleting `ids`; `committed`: all done, finishing up. */
  phase: 'marked' | 'committed';
  /** The plan's to_delete, in its order. */
  ids: string[];
  /** Ids this run has deleted (tombstone written), in order. */
  done: string[];
}

const SUFFIX = '.run.json';

export async function writeRunState(layout: RepoLayout, s: GcRunState): Promise<void> {
  const path = layout.gcRunState(s.plan_id);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, encodeJson({ plan_id: s.plan_id, phase: s.phase, ids: s.ids, done: s.done }, { pretty: false }), 0o644);
}

/** The run state of `planId`; undefined when there is none or it cannot be read (§3.12: absent). */
export async function readRunState(layout: RepoLayout, planId: string): Promise<GcRunState | undefined> {
  try {
    const f = GoFields.parse(await readFile(layout.gcRunState(planId), 'utf8'), 'GCRunState');
    const phase = f.string('phase');
    if (phase !== 'marked' && phase !== 'committed') return undefined;
    return { plan_id: planId, phase, ids: f.strings('ids'), done: f.strings('done') };
  } catch {
    return undefined;
  }
}

export async function removeRunState(layout: RepoLayout, planId: string): Promise<void> {
  await unlink(layout.gcRunState(planId)).catch((e: unknown) => {
    if (errnoCode(e) !== 'ENOENT') throw e;
  });
}

/** Plan ids of unfinished runs (doctor check 8), byte-ordered. */
export async function unfinishedRuns(layout: RepoLayout): Promise<string[]> {
  try {
    const names = await readdir(layout.gcExtDir);
    return names
      .filter((n) => n.endsWith(SUFFIX))
      .map((n) => n.slice(0, -SUFFIX.length))
      .sort(byteOrder);
  } catch {
    return [];
  }
}
