/**
 * Locks between real processes: holders that live, die, or are signalled; many contenders at
 * once. Children run test/locks/child.ts; each critical section appends "+tag" and "-tag" lines
 * to a shared log, which is then checked for overlapping sections.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listLocks, removeStaleLocks, withRepoLock, withWorktreeLocks } from '../../src/locks/index.js';
import { encodeRecord, parseRecord, selfIdentity } from '../../src/locks/record.js';
import { RepoLayout } from '../../src/repo/layout.js';
import { fsTarget, freshDir } from '../support/filesystems.js';

const CHILD = join(import.meta.dirname, 'child.ts');
const REPO_ROOT = join(import.meta.dirname, '..', '..');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

interface Child {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the child has printed `line`; rejects if it exits first. */
  printed(line: string): Promise<void>;
  exited: Promise<Exit>;
}

function startChild(args: string[], timeoutMs = 60_000): Child {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, JVS_LOCK_TIMEOUT_MS: String(timeoutMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) if (out.split('\n').includes(w.line)) w.resolve();
  });
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<Exit>((resolve) => p.on('close', (code, signal) => resolve({ code, signal, stderr: err })));
  return {
    pid: p.pid!,
    kill: (s) => p.kill(s),
    exited,
    printed: (line) =>
      new Promise<void>((resolve, reject) => {
        if (out.split('\n').includes(line)) return resolve();
        waiters.push({ line, resolve });
        void exited.then((e) => reject(new Error(`child exited (${e.code ?? e.signal}) before printing ${line}: ${e.stderr}`)));
      }),
  };
}

/** Checks that no two sections that must exclude each other overlap; returns the number of sections. */
function checkExclusion(log: string): number {
  const open = new Map<string, { kind: string; names: string[] }>();
  let sections = 0;
  for (const line of log.split('\n').filter(Boolean)) {
    const tag = line.slice(1);
    const [kind = '', names = ''] = tag.split(':');
    if (line[0] === '+') {
      const mine = names.split(',');
      for (const [otherTag, o] of open) {
        const conflict = kind === 'repo' || o.kind === 'repo' || o.names.some((n) => mine.includes(n));
        expect(conflict, `${tag} entered while ${otherTag} was inside`).toBe(false);
      }
      open.set(tag, { kind, names: mine });
      sections++;
    } else {
      expect(open.delete(tag), `${tag} left without entering`).toBe(true);
    }
  }
  expect([...open.keys()]).toEqual([]);
  return sections;
}

/**
 * Starts one child per spec (`[kind, names]`), all released at once, each doing `rounds`
 * critical sections; checks mutual exclusion and that every child succeeded.
 */
async function contend(dir: string, specs: [string, string][], rounds: number, holdMs: number): Promise<void> {
  const log = join(dir, 'log');
  const go = join(dir, `go-${Math.random()}`);
  await writeFile(log, '');
  const children = specs.map(([kind, names]) => startChild(['run', dir, kind, names, log, go, String(holdMs), String(rounds)]));
  await Promise.all(children.map((c) => c.printed('ready')));
  await writeFile(go, '');
  const exits = await Promise.all(children.map((c) => c.exited));
  for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0, signal: null });
  expect(checkExclusion(await readFile(log, 'utf8'))).toBe(specs.length * rounds);
  expect((await readdir(new RepoLayout(dir).locksDir)).filter((f) => !f.startsWith('.jvs-tmp-'))).toEqual([]);
}

/** A directory with an (empty) `.jvs`, all the lock module needs. */
async function repoDir(made: Promise<string>): Promise<string> {
  const dir = await made;
  await mkdir(join(dir, '.jvs'));
  return dir;
}

function deadPid(): number {
  return spawnSync('true').pid!;
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-locks-proc-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('a lock held by another process', () => {
  it('is E_LOCKED after the timeout, with the holder in the message', async () => {
    const dir = await repoDir(mkdtemp(join(tmp, 'live-')));
    const layout = new RepoLayout(dir);
    const holder = startChild(['hold', dir, 'wt', 'main', 'jvs snapshot "nightly"']);
    await holder.printed('held');
    const r = parseRecord(await readFile(layout.worktreeLock('main')))!;
    expect(r).toMatchObject({ host: hostname(), boot_id: selfIdentity().boot_id, pid: holder.pid, command: 'jvs snapshot "nightly"' });
    await expect(withWorktreeLocks(layout, ['main'], 'jvs restore', async () => undefined, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'E_LOCKED',
      message: `E_LOCKED: worktree 'main' is locked by jvs snapshot "nightly" (pid ${holder.pid} on ${hostname()}, since ${r.acquired_at})`,
      hint: 'retry when the other jvs command has finished',
    });
    expect((await listLocks(layout)).map((l) => l.status)).toEqual(['live']);
    expect(await removeStaleLocks(layout, 'jvs doctor')).toBe(0);
    holder.kill('SIGTERM');
    expect(await holder.exited).toMatchObject({ signal: 'SIGTERM' });
  });

  for (const [signal, kind] of [
    ['SIGTERM', 'wt'],
    ['SIGINT', 'wt'],
    ['SIGINT', 'repo'],
    ['SIGHUP', 'wt'],
  ] as const) {
    it(`is released when the holder gets ${signal} (${kind}), and the holder still dies of it`, async () => {
      const dir = await repoDir(mkdtemp(join(tmp, 'sig-')));
      const holder = startChild(['hold', dir, kind, 'main', 'jvs x']);
      await holder.printed('held');
      expect(await readdir(new RepoLayout(dir).locksDir)).toHaveLength(1);
      holder.kill(signal);
      expect(await holder.exited).toMatchObject({ code: null, signal });
      expect(await readdir(new RepoLayout(dir).locksDir)).toEqual([]);
    });
  }

  it('is released when the holder calls process.exit() while holding it', async () => {
    const dir = await repoDir(mkdtemp(join(tmp, 'exit-')));
    const holder = startChild(['exit', dir, 'wt', 'main,other', 'jvs x']);
    expect(await holder.exited).toMatchObject({ code: 7, signal: null });
    expect(await readdir(new RepoLayout(dir).locksDir)).toEqual([]);
  });

  it('is taken over after the holder was killed with SIGKILL (no chance to release)', async () => {
    const dir = await repoDir(mkdtemp(join(tmp, 'kill-')));
    const layout = new RepoLayout(dir);
    const holder = startChild(['hold', dir, 'wt', 'main', 'jvs snapshot']);
    await holder.printed('held');
    holder.kill('SIGKILL');
    await holder.exited;
    expect((await listLocks(layout)).map((l) => l.status)).toEqual(['stale']);
    expect(await withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => 'mine', { timeoutMs: 300 })).toBe('mine');
  });
});

describe('repository vs worktree locks across processes', () => {
  it('a worktree operation is refused while another process holds the repository lock, and the reverse', async () => {
    const dir = await repoDir(mkdtemp(join(tmp, 'x-')));
    const layout = new RepoLayout(dir);
    const gc = startChild(['hold', dir, 'repo', '-', 'jvs gc run --plan-id p1']);
    await gc.printed('held');
    await expect(withWorktreeLocks(layout, ['main'], 'jvs snapshot', async () => undefined, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'E_LOCKED',
      message: expect.stringMatching(new RegExp(`^E_LOCKED: repository is locked by jvs gc run --plan-id p1 \\(pid ${gc.pid} on `)),
    });
    gc.kill('SIGTERM');
    await gc.exited;

    const snap = startChild(['hold', dir, 'wt', 'feature', 'jvs snapshot']);
    await snap.printed('held');
    await expect(withRepoLock(layout, 'jvs gc run', async () => undefined, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'E_LOCKED',
      message: expect.stringMatching(new RegExp(`^E_LOCKED: worktree 'feature' is locked by jvs snapshot \\(pid ${snap.pid} on `)),
    });
    expect(await listLocks(layout)).toHaveLength(1); // the repository lock was given back
    snap.kill('SIGTERM');
    await snap.exited;
  });
});

const juicefs = fsTarget('juicefs');
const targets = [
  { name: 'local', available: true, dirFor: (label: string) => repoDir(mkdtemp(join(tmp, `${label}-`))) },
  { name: 'juicefs', available: juicefs.dir !== undefined, dirFor: (label: string) => repoDir(freshDir(juicefs, label)) },
];

describe.each(targets)('many contenders on $name', ({ available, dirFor }) => {
  it.skipIf(!available)('16 processes on one worktree lock: one at a time, all succeed', async () => {
    const dir = await dirFor('sixteen');
    await contend(dir, Array.from({ length: 16 }, () => ['wt', 'main'] as [string, string]), 3, 5);
  });

  it.skipIf(!available)('12 processes taking over one stale lock: one at a time, all succeed', async () => {
    for (let round = 0; round < 2; round++) {
      const dir = await dirFor('takeover');
      const layout = new RepoLayout(dir);
      await mkdir(layout.locksDir, { recursive: true });
      const stale = { ...selfIdentity(), pid: deadPid(), command: 'jvs snapshot', acquired_at: '2026-01-01T00:00:00Z' };
      await writeFile(layout.worktreeLock('main'), encodeRecord(stale));
      await contend(dir, Array.from({ length: 12 }, () => ['wt', 'main'] as [string, string]), 1, 20);
    }
  });

  it.skipIf(!available)('renames taking two worktree locks in opposite orders do not deadlock', async () => {
    const dir = await dirFor('rename');
    const specs: [string, string][] = [
      ['wt', 'a,b'],
      ['wt', 'b,a'],
      ['wt', 'a,b'],
      ['wt', 'b,a'],
      ['wt', 'a'],
      ['wt', 'b'],
    ];
    await contend(dir, specs, 5, 5);
  });

  it.skipIf(!available)('repository and worktree operations exclude each other both ways', async () => {
    const dir = await dirFor('mixed');
    const specs: [string, string][] = [
      ['repo', '-'],
      ['repo', '-'],
      ['wt', 'main'],
      ['wt', 'main'],
      ['wt', 'other'],
      ['wt', 'other'],
      ['wt', 'main,other'],
    ];
    await contend(dir, specs, 4, 10);
  });
});
