/**
 * Lock publication and takeover under the interleavings that matter, forced deterministically.
 * `rename` is wrapped so a test can run a third contender at the exact moment a record has been
 * renamed away — the window in which "rename away, re-check, put back" alone lets two
 * processes hold the lock; `link` so a test can act just before a record is linked.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { breakStale, publish } from '../../src/locks/file.js';
import { withWorktreeLocks } from '../../src/locks/index.js';
import { encodeRecord, selfIdentity, type LockRecord } from '../../src/locks/record.js';
import { RepoLayout } from '../../src/repo/layout.js';

const hooks = vi.hoisted(() => ({
  afterRename: undefined as (() => Promise<void>) | undefined,
  beforeLink: undefined as ((from: string) => Promise<void>) | undefined,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof fs.rename = async (from, to) => {
    await fs.rename(from, to);
    const hook = hooks.afterRename;
    hooks.afterRename = undefined;
    await hook?.();
  };
  const link: typeof fs.link = async (from, to) => {
    await hooks.beforeLink?.(String(from));
    await fs.link(from, to);
  };
  return { ...fs, rename, link, default: { ...fs, rename, link } };
});

let root: string;
let layout: RepoLayout;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'jvs-takeover-'));
  layout = new RepoLayout(root);
  await mkdir(layout.locksDir, { recursive: true });
});
afterEach(async () => {
  hooks.afterRename = undefined;
  hooks.beforeLink = undefined;
  await rm(root, { recursive: true, force: true });
});

function record(over: Partial<LockRecord>): Buffer {
  return encodeRecord({ ...selfIdentity(), command: 'jvs snapshot', acquired_at: '2026-01-02T03:04:05Z', ...over });
}
const deadPid = (): number => spawnSync('true').pid!;

describe('takeover races (§5.6: at most one contender wins)', () => {
  it('a contender acting late on a record it saw stale leaves the new holder alone, even if a third one strikes', async () => {
    const lock = layout.worktreeLock('main');
    const stale = record({ pid: deadPid() });
    await writeFile(lock, stale);
    await withWorktreeLocks(layout, ['main'], 'jvs snapshot A', async () => {
      const mine = await readFile(lock);
      // B read `stale` before A took over; should B ever rename A's record away, C publishes
      // in that instant — and then A and C would both hold the lock.
      let third = false;
      hooks.afterRename = async () => {
        third = await publish(lock, record({ command: 'C' }));
      };
      expect(await breakStale(lock, stale, record({ command: 'B' }))).toBe('gone');
      expect(third).toBe(false);
      expect(await readFile(lock)).toEqual(mine);
      expect(await readdir(layout.locksDir)).toEqual(['worktree.main.lock']);
    });
  });

  it('while the claimant removes the record, another contender cannot claim it too', async () => {
    const lock = layout.repoLock;
    const stale = record({ pid: deadPid() });
    await writeFile(lock, stale);
    let second: string | undefined;
    hooks.afterRename = async () => {
      second = await breakStale(lock, stale, record({ command: 'B' }));
    };
    expect(await breakStale(lock, stale, record({ command: 'A' }))).toBe('removed');
    expect(second).toBe('busy');
    expect(await readdir(layout.locksDir)).toEqual([]);
  });

  it('of many simultaneous takeovers of one record exactly one removes it', async () => {
    const stale = record({ pid: deadPid() });
    await writeFile(layout.repoLock, stale);
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => breakStale(layout.repoLock, stale, record({ command: `c${i}` }))));
    expect(outcomes.filter((o) => o === 'removed')).toHaveLength(1);
    expect(await readdir(layout.locksDir)).toEqual([]);
  });
});

describe('publication', () => {
  it('tries again when its temp file is removed before the link (doctor clean_tmp)', async () => {
    let removed = 0;
    hooks.beforeLink = async (from) => {
      if (removed++ < 2) await unlink(from);
    };
    expect(await withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => 'ran')).toBe('ran');
    expect(removed).toBe(3);
  });

  it('gives up with E_IO when the temp file keeps disappearing', async () => {
    hooks.beforeLink = (from) => unlink(from);
    await expect(withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => undefined)).rejects.toMatchObject({ code: 'E_IO' });
    expect(await readdir(layout.locksDir)).toEqual([]);
  });
});
