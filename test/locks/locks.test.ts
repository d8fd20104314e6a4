import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  isRepoLocked,
  isWorktreeLocked,
  listLocks,
  removeStaleLocks,
  waitNoRepoLock,
  withRepoLock,
  withWorktreeLocks,
  type LockRecord,
} from '../../src/locks/index.js';
import { encodeRecord, parseRecord, selfIdentity } from '../../src/locks/record.js';
import { RepoLayout } from '../../src/repo/layout.js';

let root: string;
let layout: RepoLayout;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'jvs-locks-'));
  layout = new RepoLayout(root);
  await mkdir(layout.jvs);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'] as const;
const listenerCounts = (): number[] => SIGNALS.map((s) => process.listenerCount(s));

/** A pid that existed a moment ago and has exited (and been reaped) since. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

function record(over: Partial<LockRecord>): LockRecord {
  return { ...selfIdentity(), command: 'jvs snapshot', acquired_at: '2026-01-02T03:04:05.5Z', ...over };
}

async function plant(path: string, content: Buffer | string): Promise<void> {
  await mkdir(layout.locksDir, { recursive: true });
  await writeFile(path, content);
}

const quick = { timeoutMs: 300 };

describe('acquire and release', () => {
  it('publishes the record while fn runs and removes it afterwards, with no leftovers or listeners', async () => {
    const before = listenerCounts();
    const seen = await withWorktreeLocks(layout, ['main'], 'jvs snapshot note', async () => {
      expect(listenerCounts()).toEqual(before.map((n) => n + 1));
      return readFile(layout.worktreeLock('main'));
    });
    const r = parseRecord(seen)!;
    expect(r).toMatchObject({ ...selfIdentity(), command: 'jvs snapshot note' });
    expect(seen.equals(encodeRecord(r))).toBe(true);
    expect(await readdir(layout.locksDir)).toEqual([]);
    expect(listenerCounts()).toEqual(before);
  });

  it('creates .jvs/ext/locks on demand, but never .jvs itself', async () => {
    await rm(layout.jvs, { recursive: true });
    await expect(withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => undefined)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(root)).toEqual([]);
  });

  it('releases when fn throws, and passes the error on', async () => {
    await expect(withRepoLock(layout, 'jvs gc run', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await readdir(layout.locksDir)).toEqual([]);
  });

  it('does not remove a lock file that is no longer ours', async () => {
    const other = encodeRecord(record({ host: 'elsewhere' }));
    await withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => {
      await writeFile(layout.worktreeLock('main'), other);
    });
    expect(await readFile(layout.worktreeLock('main'))).toEqual(other);
  });

  it('serialises operations of one process on the same worktree', async () => {
    const log: string[] = [];
    const op = (i: number) =>
      withWorktreeLocks(layout, ['main'], `op ${i}`, async () => {
        log.push(`+${i}`);
        await new Promise((r) => setTimeout(r, 20));
        log.push(`-${i}`);
      });
    await Promise.all([op(1), op(2), op(3)]);
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i]!.replace('+', '-'));
  });

  it('takes several worktree locks and reports them held while fn runs', async () => {
    await withWorktreeLocks(layout, ['b', 'a', 'b'], 'jvs worktree rename a b', async () => {
      expect((await listLocks(layout)).map((l) => [l.file, l.status])).toEqual([
        ['worktree.a.lock', 'live'],
        ['worktree.b.lock', 'live'],
      ]);
      expect((await isWorktreeLocked(layout, 'a'))?.record?.command).toBe('jvs worktree rename a b');
      expect(await isWorktreeLocked(layout, 'c')).toBeUndefined();
      expect(await isRepoLocked(layout)).toBeUndefined();
    });
    expect(await isWorktreeLocked(layout, 'a')).toBeUndefined();
  });
});

describe('holders that are not alive (§5.6 liveness)', () => {
  const staleCases: [string, () => Partial<LockRecord>][] = [
    ['a dead pid', () => ({ pid: deadPid() })],
    ['a reused pid (live, other start time)', () => ({ pid: process.pid, process_start: selfIdentity().process_start + 1 })],
    ['a previous boot', () => ({ boot_id: '00000000-0000-0000-0000-000000000000' })],
  ];
  for (const [what, over] of staleCases) {
    it(`takes over the lock of ${what}`, async () => {
      await plant(layout.worktreeLock('main'), encodeRecord(record(over())));
      expect((await listLocks(layout))[0]?.status).toBe('stale');
      expect(await isWorktreeLocked(layout, 'main')).toBeUndefined();
      const mine = await withWorktreeLocks(layout, ['main'], 'jvs snapshot', () => readFile(layout.worktreeLock('main')), quick);
      expect(parseRecord(mine)?.pid).toBe(process.pid);
      expect(await readdir(layout.locksDir)).toEqual([]);
    });
  }

  it('takes over past a claim whose holder died mid-takeover, and clears the claims', async () => {
    const stale = encodeRecord(record({ pid: deadPid() }));
    await plant(layout.worktreeLock('main'), stale);
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(stale).digest('hex').slice(0, 16);
    await plant(`${layout.worktreeLock('main')}.${hash}.1.break`, encodeRecord(record({ pid: deadPid(), command: 'crashed' })));
    await withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => undefined, quick);
    expect(await readdir(layout.locksDir)).toEqual([]);
  });

  it('waits while a live process takes over the same stale record', async () => {
    const stale = encodeRecord(record({ pid: deadPid() }));
    await plant(layout.worktreeLock('main'), stale);
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(stale).digest('hex').slice(0, 16);
    await plant(`${layout.worktreeLock('main')}.${hash}.1.break`, encodeRecord(record({ pid: process.ppid, process_start: 0 })));
    await expect(withWorktreeLocks(layout, ['main'], 'x', async () => undefined, quick)).rejects.toMatchObject({ code: 'E_LOCKED' });
    expect(await readFile(layout.worktreeLock('main'))).toEqual(stale);
  });
});

describe('holders that count as held', () => {
  it('never breaks another host’s lock: E_LOCKED with the holder, listed as foreign', async () => {
    const r = record({ host: 'other-host', pid: 4242 });
    await plant(layout.worktreeLock('main'), encodeRecord(r));
    const t0 = performance.now();
    await expect(withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => undefined, quick)).rejects.toMatchObject({
      code: 'E_LOCKED',
      message: "E_LOCKED: worktree 'main' is locked by jvs snapshot (pid 4242 on other-host, since 2026-01-02T03:04:05.5Z)",
      hint: 'retry when the other jvs command has finished',
    });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await listLocks(layout)).toEqual([
      { file: 'worktree.main.lock', path: layout.worktreeLock('main'), scope: { kind: 'worktree', name: 'main' }, status: 'foreign', record: r },
    ]);
    expect((await isWorktreeLocked(layout, 'main'))?.status).toBe('foreign');
    expect(await removeStaleLocks(layout, 'jvs doctor')).toBe(0);
    expect(await readFile(layout.worktreeLock('main'))).toEqual(encodeRecord(r));
  });

  for (const [what, content] of [
    ['empty', ''],
    ['unparsable', '{"host":"x",'],
    ['incomplete', '{"host":"x","pid":1}'],
  ] as const) {
    it(`treats an ${what} record as held, and never removes it`, async () => {
      await plant(layout.repoLock, content);
      await expect(withRepoLock(layout, 'jvs gc run', async () => undefined, quick)).rejects.toMatchObject({
        code: 'E_LOCKED',
        message: `E_LOCKED: repository is locked (unreadable lock record ${layout.repoLock})`,
        hint: `retry when the other jvs command has finished; if none is running, remove ${layout.repoLock}`,
      });
      expect(await listLocks(layout)).toEqual([{ file: 'repo.lock', path: layout.repoLock, scope: { kind: 'repository' }, status: 'unreadable' }]);
      expect(await removeStaleLocks(layout, 'jvs doctor')).toBe(0);
      expect(await readFile(layout.repoLock, 'utf8')).toBe(content);
    });
  }

  it('a live lock of this very process holds off a second acquisition', async () => {
    await withWorktreeLocks(layout, ['main'], 'jvs restore', async () => {
      await expect(withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => undefined, { timeoutMs: 100 })).rejects.toMatchObject({
        code: 'E_LOCKED',
      });
    });
  });
});

describe('doctor: listLocks and removeStaleLocks (§8.1 check 7, §8.2 clean_locks)', () => {
  it('removes only stale locks and the leftovers of crashed acquisitions', async () => {
    const dead = encodeRecord(record({ pid: deadPid() }));
    await plant(layout.repoLock, dead);
    await plant(layout.worktreeLock('a'), encodeRecord(record({ boot_id: 'previous' })));
    await plant(layout.worktreeLock('b'), encodeRecord(record({ host: 'far' })));
    await plant(layout.worktreeLock('c'), 'junk');
    await plant(layout.worktreeLock('d'), encodeRecord(record({ pid: process.pid })));
    await plant(join(layout.locksDir, '.jvs-tmp-1'), dead); // temp of a crashed acquisition
    await plant(join(layout.locksDir, '.jvs-tmp-2'), encodeRecord(record({}))); // a live acquisition's temp
    await plant(`${layout.worktreeLock('x')}.0123456789abcdef.1.break`, dead); // claim on a record that is gone
    expect((await listLocks(layout)).map((l) => `${l.file}:${l.status}`)).toEqual([
      'repo.lock:stale',
      'worktree.a.lock:stale',
      'worktree.b.lock:foreign',
      'worktree.c.lock:unreadable',
      'worktree.d.lock:live',
    ]);
    expect(await removeStaleLocks(layout, 'jvs doctor --repair-runtime')).toBe(2);
    expect((await readdir(layout.locksDir)).sort()).toEqual(['.jvs-tmp-2', 'worktree.b.lock', 'worktree.c.lock', 'worktree.d.lock']);
  });

  it('lists nothing when the lock directory does not exist', async () => {
    expect(await listLocks(layout)).toEqual([]);
    expect(await removeStaleLocks(layout, 'jvs doctor')).toBe(0);
  });
});

describe('repository vs worktree exclusion (in one process)', () => {
  it('a worktree operation waits for a live repository lock, and gives its own lock back meanwhile', async () => {
    await withRepoLock(layout, 'jvs gc run --plan-id p', async () => {
      await expect(withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => undefined, { timeoutMs: 200 })).rejects.toMatchObject({
        code: 'E_LOCKED',
        message: expect.stringMatching(/^E_LOCKED: repository is locked by jvs gc run --plan-id p \(pid \d+ on .+, since .+\)$/),
      });
      expect(await isWorktreeLocked(layout, 'main')).toBeUndefined();
      await expect(waitNoRepoLock(layout, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'E_LOCKED' });
    });
    await waitNoRepoLock(layout, { timeoutMs: 0 });
  });

  it('the repository side waits for live worktree locks and ignores stale ones', async () => {
    await plant(layout.worktreeLock('old'), encodeRecord(record({ pid: deadPid() })));
    await withWorktreeLocks(layout, ['main'], 'jvs restore x', async () => {
      await expect(withRepoLock(layout, 'jvs doctor --repair-runtime', async () => undefined, { timeoutMs: 200 })).rejects.toMatchObject({
        code: 'E_LOCKED',
        message: `E_LOCKED: worktree 'main' is locked by jvs restore x (pid ${process.pid} on ${hostname()}, since ${
          parseRecord(await readFile(layout.worktreeLock('main')))!.acquired_at
        })`,
      });
      expect(await isRepoLocked(layout)).toBeUndefined(); // released after timing out
    });
    expect(await withRepoLock(layout, 'jvs gc run', async () => 'ran', quick)).toBe('ran');
  });

  it('both sides starting at once: one waits for the other, neither fails', async () => {
    const log: string[] = [];
    const section = async (tag: string) => {
      log.push(`+${tag}`);
      await new Promise((r) => setTimeout(r, 30));
      log.push(`-${tag}`);
    };
    await Promise.all([
      withWorktreeLocks(layout, ['main'], 'jvs snapshot', () => section('wt'), { timeoutMs: 2000 }),
      withRepoLock(layout, 'jvs gc run', () => section('repo'), { timeoutMs: 2000 }),
    ]);
    expect([log.slice(0, 2), log.slice(2)].map((p) => p.map((l) => l.slice(1)))).toEqual(expect.arrayContaining([['wt', 'wt'], ['repo', 'repo']]));
  });
});
