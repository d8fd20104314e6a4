/**
 * Check 7 and `clean_locks` (CONTRACT §8, §5.6): locks whose holder is provably dead are
 * reported and removable; a lock held from another host or with an unreadable record is
 * reported but never removed automatically; a live one is an operation at work.
 */
import { listLocks, removeStaleLocks } from '../locks/index.js';
import type { DoctorContext } from './context.js';
import { finding, type Finding, type RepairOutcome } from './types.js';

export async function checkLocks(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const l of await listLocks(ctx.layout)) {
    const r = l.record;
    if (l.status === 'stale' && r) {
      out.push(finding('lock', 'warning', `stale lock ${l.file} (${r.command}, pid ${r.pid}, dead)`, { path: l.path, repair: 'clean_locks' }));
    } else if (l.status === 'foreign' && r) {
      out.push(finding('lock', 'warning', `lock ${l.file} held by ${r.host} pid ${r.pid} since ${r.acquired_at} (${r.command})`, { path: l.path }));
    } else if (l.status === 'unreadable' || !r) {
      out.push(finding('lock', 'warning', `unreadable lock ${l.file}`, { path: l.path }));
    }
  }
  return out;
}

export async function cleanLocks(ctx: DoctorContext): Promise<RepairOutcome> {
  // The name recorded on takeover claims while a stale record is being removed.
  const removed = await removeStaleLocks(ctx.layout, 'jvs doctor');
  return { message: `removed ${removed} stale locks`, cleaned: removed };
}
