/**
 * One lock file (CONTRACT §3.13, §5.6): publishing a record atomically, reading and judging
 * the holder, releasing, and taking over a stale record.
 *
 * Publication: the complete record goes to a temp file in the lock directory, is fsynced, and
 * is then hard-linked to the lock name. link() fails with EEXIST when the name exists, on local
 * and network file systems alike, so exactly one contender creates the lock, and the lock
 * never exists without its whole record.
 *
 * Takeover: a record can only be removed by the one process holding the *claim* for it. The
 * contract's "rename the stale record away, re-check, remove" alone is not enough: a contender
 * that judged the record stale a moment ago can rename away the fresh lock a faster contender
 * has just published, and while it puts it back a third one can take the free name — two
 * holders. So a contender first creates the claim `<lock>.<hash of the stale bytes>.<n>.break`
 * exclusively (same publication as a lock), and only then re-reads, renames away, re-checks and
 * removes. The stale record can disappear only through its claim holder, so its re-read cannot
 * go out of date, and a claim name is tied to those exact bytes, which never come back. A claim
 * whose holder died is itself stale: the next contender uses number n + 1 (never deleting the
 * dead claim while the record is still there, which would let two contenders claim at once).
 * Once the record is gone every claim for it is garbage and is removed.
 */
import { createHash } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { JvsError } from '../errors.js';
import { fsyncDir, tmpName, TMP_PREFIX } from '../fs/atomic.js';
import { classify, type Liveness } from './liveness.js';
import { parseRecord, type LockRecord } from './record.js';
import { track, untrack } from './exit.js';

export type LockStatus = Liveness | 'unreadable';

/** What sits at a lock path now. */
export interface Holder {
  bytes: Buffer;
  /** Undefined when the file is not a complete record: treated as held, never broken. */
  record?: LockRecord;
  status: LockStatus;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

async function readBytes(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** The holder at `path`; undefined when there is none. An unreadable file counts as held. */
export async function readHolder(path: string): Promise<Holder | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    return { bytes: Buffer.alloc(0), status: 'unreadable' };
  }
  const record = parseRecord(bytes);
  return record ? { bytes, record, status: classify(record) } : { bytes, status: 'unreadable' };
}

/**
 * Creates the lock directory and its parent (`.jvs/ext/`) on demand — never more, so a wrong
 * root fails instead of growing a stray `.jvs`.
 */
async function ensureLockDir(dir: string): Promise<void> {
  const make = (d: string): Promise<unknown> =>
    mkdir(d).catch((e: unknown) => {
      if (errno(e) !== 'EEXIST') throw e;
    });
  try {
    await make(dir);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
    await make(dirname(dir));
    await make(dir);
  }
}

/** Writes `bytes` to a fresh temp file and links it to `path`; the temp is always removed. */
async function linkFromTemp(dir: string, path: string, bytes: Buffer): Promise<'linked' | 'exists' | 'vanished'> {
  await ensureLockDir(dir);
  const tmp = join(dir, tmpName());
  let fh;
  try {
    fh = await open(tmp, 'wx', 0o644);
  } catch (e) {
    if (errno(e) === 'ENOENT') return 'vanished';
    throw e;
  }
  try {
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    track(path, bytes);
    try {
      await link(tmp, path);
      return 'linked';
    } catch (e) {
      untrack(path, bytes);
      if (errno(e) === 'EEXIST') return 'exists';
      if (errno(e) === 'ENOENT') return 'vanished';
      throw e;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Publishes `bytes` at `path` unless the name exists; true when we now hold it. It is tracked
 * for release on exit from before it becomes visible until release() or a failed attempt.
 */
export async function publish(path: string, bytes: Buffer): Promise<boolean> {
  const dir = dirname(path);
  // The temp file or the directory can vanish under us (doctor's clean_tmp, a deleted ext/):
  // nothing was published then, so simply try again, a few times.
  for (let attempt = 1; ; attempt++) {
    const result = await linkFromTemp(dir, path, bytes);
    if (result === 'exists') return false;
    if (result === 'linked') break;
    if (attempt === 3) throw new JvsError('E_IO', `cannot publish lock ${path}: its temp file keeps disappearing`);
  }
  try {
    await fsyncDir(dir);
  } catch (e) {
    await release(path, bytes).catch(() => undefined);
    throw e;
  }
  return true;
}

/** Removes our record at `path`; a record that is no longer ours is left alone. */
export async function release(path: string, bytes: Buffer): Promise<void> {
  const current = await readBytes(path);
  if (current?.equals(bytes)) {
    await unlink(path);
    await fsyncDir(dirname(path));
  }
  untrack(path, bytes);
}

export type BreakOutcome = 'removed' | 'gone' | 'busy';

const claimPath = (lock: string, hash: string, n: number): string => `${lock}.${hash}.${n}.break`;
const CLAIM = /^(.+\.lock)\.([0-9a-f]{16})\.(\d+)\.break$/;

function staleHash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

async function removeClaims(lock: string, hash: string, upTo: number): Promise<void> {
  for (let n = 1; n <= upTo; n++) await unlink(claimPath(lock, hash, n)).catch(() => undefined);
}

/**
 * Removes the stale record `stale` from `lock`, race-free (see the top of this file).
 * `removed`: we removed it; `gone`: it is no longer there (someone else removed it); `busy`:
 * a live contender is removing it right now. `claimBytes` is our record for the claim.
 */
export async function breakStale(lock: string, stale: Buffer, claimBytes: Buffer): Promise<BreakOutcome> {
  const hash = staleHash(stale);
  let n = 1;
  for (;;) {
    const claim = claimPath(lock, hash, n);
    if (await publish(claim, claimBytes)) break;
    const other = await readHolder(claim);
    if (other === undefined) continue; // released just now: try the same number again
    if (other.status !== 'stale') return 'busy';
    n++;
  }
  const claim = claimPath(lock, hash, n);
  // Whether the stale record has left the lock name: from then on every claim on it is garbage.
  let gone = false;
  try {
    const current = await readBytes(lock);
    if (!current?.equals(stale)) {
      gone = true;
      return 'gone';
    }
    const aside = join(dirname(lock), tmpName());
    try {
      await rename(lock, aside);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
      gone = true;
      return 'gone';
    }
    gone = true;
    const moved = await readBytes(aside);
    if (moved !== undefined && !moved.equals(stale)) {
      // Only a writer outside this protocol gets here: give its record back if the name is free.
      await link(aside, lock).catch(() => undefined);
      await unlink(aside);
      return 'gone';
    }
    await unlink(aside).catch((e: unknown) => {
      if (errno(e) !== 'ENOENT') throw e;
    });
    await fsyncDir(dirname(lock));
    return 'removed';
  } finally {
    // Dead claims below ours must stay while the record is there: deleting one would let two
    // contenders claim at once.
    if (gone) await removeClaims(lock, hash, n - 1);
    await release(claim, claimBytes);
  }
}

/**
 * Removes what takeovers and crashed acquisitions leave in the lock directory: claims on
 * records that are gone, and temp files holding a stale record. Anything whose owner may be
 * alive stays.
 */
export async function sweepLeftovers(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  for (const name of names) {
    const path = join(dir, name);
    const claim = CLAIM.exec(name);
    if (claim) {
      const current = await readBytes(join(dir, claim[1]!));
      if (current === undefined || staleHash(current) !== claim[2]) await unlink(path).catch(() => undefined);
    } else if (name.startsWith(TMP_PREFIX)) {
      const h = await readHolder(path);
      if (h?.status === 'stale') await unlink(path).catch(() => undefined);
    }
  }
}
