/**
 * Is a lock holder alive (CONTRACT §5.6)? Only a same-host holder can be proven dead: its boot
 * id changed (the machine rebooted), or its pid is gone or now belongs to a process that
 * started at another time (pid reuse). Everything that cannot be proven dead counts as alive.
 */
import { readProcStat, selfIdentity, type LockRecord } from './record.js';

/** `foreign`: another host's lock, never broken automatically (it may well be alive). */
export type Liveness = 'live' | 'stale' | 'foreign';

/** Does `pid` exist? For systems without /proc: signal 0 checks existence without sending anything. */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function classify(r: LockRecord): Liveness {
  const me = selfIdentity();
  if (r.host !== me.host) return 'foreign';
  if (r.boot_id !== me.boot_id) return 'stale';
  if (me.process_start === 0) {
    // No /proc here: pid reuse cannot be detected, so an existing pid is taken as the holder.
    return pidExists(r.pid) ? 'live' : 'stale';
  }
  const stat = readProcStat(r.pid);
  // A zombie has exited; it only waits for its parent to collect the status.
  if (stat === undefined || stat.state === 'Z') return 'stale';
  // A holder that could not read its own start time: the pid is taken as the holder.
  if (r.process_start === 0) return 'live';
  return stat.start === r.process_start ? 'live' : 'stale';
}
