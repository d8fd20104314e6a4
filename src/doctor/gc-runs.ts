/**
 * Check 8 (CONTRACT §8.1, §7): a GC run state outliving its run means `gc run` was interrupted;
 * running the same plan again resumes it. While the repository lock is held, the run may be
 * at work.
 */
import { join } from 'node:path';

import { sortedEntries, type DoctorContext } from './context.js';
import { finding, type Finding } from './types.js';

const RUN_STATE = /^(.+)\.run\.json$/;

export async function checkGcRuns(ctx: DoctorContext): Promise<Finding[]> {
  if (ctx.live.repoBusy) return [];
  const dir = ctx.layout.gcExtDir;
  const out: Finding[] = [];
  for (const name of await sortedEntries(dir)) {
    const planId = RUN_STATE.exec(name)?.[1];
    if (planId === undefined) continue;
    out.push(finding('gc', 'warning', `interrupted gc run ${planId}; run jvs gc run --plan-id ${planId}`, { path: join(dir, name) }));
  }
  return out;
}
