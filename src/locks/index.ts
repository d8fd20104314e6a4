/**
 * Worktree and repository locks (CONTRACT §5.6, D10): who may mutate what at the same time.
 *
 * - A worktree operation holds the locks of the worktrees it changes and runs only while no
 *   live repository lock exists; `gc run` and doctor repairs hold the repository lock and run
 *   only while no live worktree lock exists; `pin add|remove` wait until no live repository
 *   lock exists.
 * - Each side takes its own lock(s) first and only then looks at the other side. Of two
 *   operations that overlap, the one that looks second therefore always sees the other's lock:
 *   they can never both proceed.
 * - No deadlock: worktree locks are taken in byte order of their names (rename takes two), so
 *   worktree operations never wait for each other in a cycle; and a worktree operation that
 *   finds a live repository lock gives its own locks back before it waits, so the repository
 *   side, which keeps its lock while it waits for worktree locks to go, only ever waits for
 *   operations that are running or about to give up theirs. Maintenance therefore wins a tie.
 *   All waiting shares one deadline; whoever times out releases what it took.
 * - Not re-entrant: a process that nests these calls for a lock it already holds waits for
 *   itself and gets E_LOCKED. Concurrent calls from one process simply take turns.
 * - Callers pass validated worktree names, and create `.jvs/ext/VERSION` (the repository's
 *   job); this module creates `ext/` and `ext/locks/` when missing.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { byteOrder } from '../encoding/order.js';
import { JvsError } from '../errors.js';
import type { RepoLayout } from '../repo/layout.js';
import { breakStale, publish, readHolder, release, sweepLeftovers, type Holder, type LockStatus } from './file.js';
import { encodeRecord, newRecord, type LockRecord } from './record.js';
import { Deadline, timeoutMs, type LockOptions } from './wait.js';

export type { LockRecord } from './record.js';
export type { LockStatus } from './file.js';
export type { LockOptions } from './wait.js';

export type LockScope = { kind: 'repository' } | { kind: 'worktree'; name: string };

/** A lock file as doctor sees it. */
export interface LockEntry {
  /** File name inside `.jvs/ext/locks/`. */
  file: string;
  path: string;
  scope: LockScope;
  /** `live`, `foreign` and `unreadable` all count as held; only `stale` is ever removed. */
  status: LockStatus;
  /** Absent when the record is unreadable. */
  record?: LockRecord;
}

const LOCK_NAME = /^(?:repo|worktree\.(.+))\.lock$/;

function entry(path: string, scope: LockScope, h: Holder): LockEntry {
  return { file: basename(path), path, scope, status: h.status, ...(h.record ? { record: h.record } : {}) };
}

function label(scope: LockScope): string {
  return scope.kind === 'repository' ? 'repository' : `worktree '${scope.name}'`;
}

function lockedError(e: LockEntry): JvsError {
  if (!e.record) {
    return new JvsError('E_LOCKED', `E_LOCKED: ${label(e.scope)} is locked (unreadable lock record ${e.path})`, {
      hint: `retry when the other jvs command has finished; if none is running, remove ${e.path}`,
    });
  }
  const r = e.record;
  return new JvsError(
    'E_LOCKED',
    `E_LOCKED: ${label(e.scope)} is locked by ${r.command} (pid ${r.pid} on ${r.host}, since ${r.acquired_at})`,
    { hint: 'retry when the other jvs command has finished' },
  );
}

interface Held {
  path: string;
  bytes: Buffer;
}

/** Takes one lock, taking over a stale holder, waiting for a live one until the deadline. */
async function acquire(path: string, scope: LockScope, command: string, deadline: Deadline): Promise<Held> {
  for (;;) {
    // A fresh record per attempt, so `acquired_at` says when the lock was really taken.
    const bytes = encodeRecord(newRecord(command));
    if (await publish(path, bytes)) return { path, bytes };
    const holder = await readHolder(path);
    if (holder === undefined) continue; // released in between: try again at once
    if (holder.status === 'stale' && (await breakStale(path, holder.bytes, bytes)) !== 'busy') continue;
    if (deadline.passed) throw lockedError(entry(path, scope, holder));
    await deadline.pause();
  }
}

async function releaseAll(held: readonly Held[]): Promise<void> {
  for (const h of [...held].reverse()) await release(h.path, h.bytes);
}

/** The holder of a lock when it counts as held (anything but stale); undefined otherwise. */
async function heldEntry(path: string, scope: LockScope): Promise<LockEntry | undefined> {
  const h = await readHolder(path);
  return h === undefined || h.status === 'stale' ? undefined : entry(path, scope, h);
}

/** Polls `blocker` until it reports nothing; E_LOCKED naming the last blocker at the deadline. */
async function waitUntilClear(blocker: () => Promise<LockEntry | undefined>, deadline: Deadline): Promise<void> {
  for (;;) {
    const b = await blocker();
    if (b === undefined) return;
    if (deadline.passed) throw lockedError(b);
    await deadline.pause();
  }
}

/** Runs `fn` after `release` whether it succeeded or not; a release failure is reported unless `fn` failed. */
async function runThenRelease<T>(fn: () => Promise<T>, held: readonly Held[]): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    await releaseAll(held).catch(() => undefined);
    throw e;
  }
  await releaseAll(held);
  return result;
}


/**
 * Runs `fn` holding the locks of `names` (validated worktree names; taken in byte order) while
 * no live repository lock exists. `command` is the jvs command line recorded as the holder.
 */
export async function withWorktreeLocks<T>(
  layout: RepoLayout,
  names: readonly string[],
  command: string,
  fn: () => Promise<T>,
  opts?: LockOptions,
): Promise<T> {
  const sorted = [...new Set(names)].sort(byteOrder);
  const deadline = new Deadline(timeoutMs(opts));
  for (;;) {
    const held: Held[] = [];
    try {
      for (const name of sorted) held.push(await acquire(layout.worktreeLock(name), { kind: 'worktree', name }, command, deadline));
    } catch (e) {
      await releaseAll(held).catch(() => undefined);
      throw e;
    }
    if ((await heldEntry(layout.repoLock, { kind: 'repository' })) === undefined) return runThenRelease(fn, held);
    // Maintenance is running or starting: step back so it can proceed, and retry after it.
    await releaseAll(held);
    await waitUntilClear(() => heldEntry(layout.repoLock, { kind: 'repository' }), deadline);
  }
}

/** Runs `fn` holding the repository lock, once no live worktree lock exists (gc run, repairs). */
export async function withRepoLock<T>(layout: RepoLayout, command: string, fn: () => Promise<T>, opts?: LockOptions): Promise<T> {
  const deadline = new Deadline(timeoutMs(opts));
  const held = [await acquire(layout.repoLock, { kind: 'repository' }, command, deadline)];
  try {
    await waitUntilClear(async () => (await listLocks(layout)).find((l) => l.scope.kind === 'worktree' && l.status !== 'stale'), deadline);
  } catch (e) {
    await releaseAll(held).catch(() => undefined);
    throw e;
  }
  return runThenRelease(fn, held);
}

/** Waits until no live repository lock exists (`pin add|remove`); E_LOCKED after the timeout. */
export async function waitNoRepoLock(layout: RepoLayout, opts?: LockOptions): Promise<void> {
  await waitUntilClear(() => heldEntry(layout.repoLock, { kind: 'repository' }), new Deadline(timeoutMs(opts)));
}

/** The holder of worktree `name`'s lock when an operation on it is in flight (live, foreign or unreadable). */
export function isWorktreeLocked(layout: RepoLayout, name: string): Promise<LockEntry | undefined> {
  return heldEntry(layout.worktreeLock(name), { kind: 'worktree', name });
}

/** The holder of the repository lock when it counts as held. */
export function isRepoLocked(layout: RepoLayout): Promise<LockEntry | undefined> {
  return heldEntry(layout.repoLock, { kind: 'repository' });
}

/** Every lock file with its holder and status, in byte order of file names (doctor check 7). */
export async function listLocks(layout: RepoLayout): Promise<LockEntry[]> {
  let files: string[];
  try {
    files = await readdir(layout.locksDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LockEntry[] = [];
  for (const file of files.sort(byteOrder)) {
    const m = LOCK_NAME.exec(file);
    if (!m) continue;
    const path = join(layout.locksDir, file);
    const h = await readHolder(path);
    if (h === undefined) continue; // released while we looked
    out.push(entry(path, m[1] === undefined ? { kind: 'repository' } : { kind: 'worktree', name: m[1] }, h));
  }
  return out;
}

/**
 * Removes stale same-host locks (doctor `clean_locks`) and the leftovers of interrupted
 * acquisitions; never a live, foreign or unreadable one. `command` is recorded on the takeover
 * claims. Returns how many locks were removed.
 */
export async function removeStaleLocks(layout: RepoLayout, command: string): Promise<number> {
  let removed = 0;
  for (const l of await listLocks(layout)) {
    if (l.status !== 'stale') continue;
    const h = await readHolder(l.path);
    if (h?.status === 'stale' && (await breakStale(l.path, h.bytes, encodeRecord(newRecord(command)))) === 'removed') removed++;
  }
  await sweepLeftovers(layout.locksDir);
  return removed;
}
