/**
 * The btrfs-snapshot engine end to end, through the built CLI on a real btrfs (JVS_TEST_BTRFS):
 * worktrees are subvolumes, snapshots read-only subvolume snapshots, forks writable snapshots of
 * them, GC deletes them (or, unprivileged, says which permission is missing), and every crash
 * point of the publication protocol leaves what doctor repairs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { getCore } from '../../src/native/index.js';
import { SNAPSHOT_STEPS } from '../../src/snapshot/create.js';
import { CLI, jvs, type RunResult } from '../cli/run.js';
import { freshDir, fsTarget } from '../support/filesystems.js';

const btrfs = fsTarget('btrfs');
const core = getCore();
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

interface Repo {
  root: string;
  main: string;
}

async function initRepo(label: string): Promise<Repo> {
  const parent = await freshDir(btrfs, label);
  const r = jvs(['init', 'repo'], { cwd: parent });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  // Searchable by everyone: one test runs the CLI as nobody.
  await chmod(parent, 0o755);
  const root = join(parent, 'repo');
  return { root, main: join(root, 'main') };
}

function ok(r: RunResult): RunResult {
  expect(r.status, r.stderr).toBe(0);
  return r;
}

function snapshot(cwd: string, ...args: string[]): { snapshot_id: string; engine: string; stderr: string } {
  const r = ok(jvs(['snapshot', '--json', ...args], { cwd }));
  return { ...(JSON.parse(r.stdout) as { snapshot_id: string; engine: string }), stderr: r.stderr };
}

const snapshotDir = (repo: Repo, id: string): string => join(repo.root, '.jvs/snapshots', id);
const hashOf = async (dir: string): Promise<string> => (await core.hashTree(dir)).rootHash;

async function isReadOnly(dir: string): Promise<boolean> {
  const probe = join(dir, 'jvs-write-probe');
  try {
    await writeFile(probe, 'x');
    await rm(probe);
    return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EROFS') return true;
    throw e;
  }
}

/** `jvs <args>` as nobody (the test runs as root). */
function asNobody(args: string[], cwd: string): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, uid: NOBODY, gid: NOBODY, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/tmp', PWD: cwd } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** Ids in `.jvs/snapshots/`, `.tmp` directories included. */
const snapshotNames = (repo: Repo): string[] => readdirSync(join(repo.root, '.jvs/snapshots')).sort();

/** A nested subvolume made in main: the next snapshot is a reflink copy that holds its content, with a note. */
async function expectNestedSubvolumeCloned(repo: Repo): Promise<void> {
  await core.createSubvolume(join(repo.main, 'nested'));
  await writeFile(join(repo.main, 'nested/n'), 'inside');
  const s = snapshot(repo.main);
  expect(s.engine).toBe('reflink-copy');
  expect(s.stderr).toBe('note: snapshot copied with reflink-copy, not a btrfs subvolume snapshot: nested is another subvolume or a mount point\n');
  expect(await readFile(join(snapshotDir(repo, s.snapshot_id), 'nested/n'), 'utf8')).toBe('inside');
  ok(jvs(['verify', '--all'], { cwd: repo.main }));
}

describe.skipIf(!btrfs.dir)('btrfs subvolume snapshots', () => {
  it('init makes main a subvolume; a snapshot is a read-only subvolume snapshot that verifies', async () => {
    const repo = await initRepo('basic');
    expect(await core.isSubvolume(repo.main)).toBe(true);
    ok(jvs(['info'], { cwd: repo.main }));
    expect(ok(jvs(['info', '--json'], { cwd: repo.main })).stdout).toMatch(/"snapshot_engine": "btrfs-snapshot"/);
    await mkdir(join(repo.main, 'd'));
    await writeFile(join(repo.main, 'a.txt'), 'hello');
    await writeFile(join(repo.main, 'd/b.bin'), Buffer.alloc(100_000, 7));
    // A v8.2 restore leftover at the root is never part of a snapshot.
    await writeFile(join(repo.main, '.READY'), 'leftover');

    const s = snapshot(repo.main, 'first');
    expect(s.engine).toBe('btrfs-snapshot');
    const dir = snapshotDir(repo, s.snapshot_id);
    expect(await core.isSubvolume(dir)).toBe(true);
    expect(await isReadOnly(dir)).toBe(true);
    const ready = JSON.parse(await readFile(join(dir, '.READY'), 'utf8')) as { snapshot_id: string; engine: string };
    expect(ready).toMatchObject({ snapshot_id: s.snapshot_id, engine: 'btrfs-snapshot' });
    const meta = JSON.parse(await readFile(join(repo.root, '.jvs/ext/meta', `${s.snapshot_id}.json`), 'utf8')) as { engine: string };
    expect(meta.engine).toBe('btrfs-snapshot');
    expect(ok(jvs(['verify', s.snapshot_id], { cwd: repo.main })).stdout).toMatch(/Payload hash: true/);
    ok(jvs(['doctor', '--strict'], { cwd: repo.main }));
    expect(snapshotNames(repo)).toEqual([s.snapshot_id]);
  });

  it('a second snapshot after one change is right and refreshes the stat cache; restore gives back exact bytes', async () => {
    const repo = await initRepo('second');
    await writeFile(join(repo.main, 'a.txt'), 'one');
    await writeFile(join(repo.main, 'keep.txt'), 'kept');
    const first = snapshot(repo.main);
    const cache = join(repo.root, '.jvs/ext/worktrees/main/stat.cache');
    const cached = await stat(cache);

    await writeFile(join(repo.main, 'a.txt'), 'two');
    const second = snapshot(repo.main);
    expect(second.engine).toBe('btrfs-snapshot');
    expect((await stat(cache)).mtimeMs).toBeGreaterThan(cached.mtimeMs);
    expect(await readFile(join(snapshotDir(repo, second.snapshot_id), 'a.txt'), 'utf8')).toBe('two');
    expect(await readFile(join(snapshotDir(repo, first.snapshot_id), 'a.txt'), 'utf8')).toBe('one');
    expect(ok(jvs(['diff', first.snapshot_id, second.snapshot_id, '--json'], { cwd: repo.main })).stdout).toMatch(/a\.txt/);
    expect(ok(jvs(['verify', '--all'], { cwd: repo.main })).stdout).not.toMatch(/FAIL/);

    await writeFile(join(repo.main, 'a.txt'), 'unsaved');
    await writeFile(join(repo.main, 'extra'), 'x');
    ok(jvs(['restore', first.snapshot_id, '--discard'], { cwd: repo.main }));
    expect(await readFile(join(repo.main, 'a.txt'), 'utf8')).toBe('one');
    expect(existsSync(join(repo.main, 'extra'))).toBe(false);
    expect(await hashOf(repo.main)).toBe(await hashOf(snapshotDir(repo, first.snapshot_id)));
    expect(await core.isSubvolume(repo.main), 'restore keeps the payload a subvolume').toBe(true);
  });

  it('fork and create --from are writable subvolume snapshots without the .READY', async () => {
    const repo = await initRepo('fork');
    await writeFile(join(repo.main, 'a.txt'), 'a');
    const s = snapshot(repo.main);
    ok(jvs(['worktree', 'fork', s.snapshot_id, 'f'], { cwd: repo.main }));
    ok(jvs(['worktree', 'create', 'c', '--from', s.snapshot_id], { cwd: repo.main }));
    for (const name of ['f', 'c']) {
      const payload = join(repo.root, 'worktrees', name);
      expect(await core.isSubvolume(payload)).toBe(true);
      expect(await isReadOnly(payload)).toBe(false);
      expect(existsSync(join(payload, '.READY'))).toBe(false);
      expect(await hashOf(payload)).toBe(await hashOf(snapshotDir(repo, s.snapshot_id)));
    }
    const fs = join(repo.root, 'worktrees/f');
    await writeFile(join(fs, 'a.txt'), 'forked');
    expect(snapshot(fs).engine).toBe('btrfs-snapshot');
    expect(await readFile(join(snapshotDir(repo, s.snapshot_id), 'a.txt'), 'utf8')).toBe('a');

    // An empty new worktree is a subvolume too; removing one deletes it.
    ok(jvs(['worktree', 'create', 'empty'], { cwd: repo.main }));
    expect(await core.isSubvolume(join(repo.root, 'worktrees/empty'))).toBe(true);
    ok(jvs(['worktree', 'remove', 'f'], { cwd: repo.main }));
    expect(existsSync(fs)).toBe(false);
  });

  it('gc run deletes subvolume snapshots', async () => {
    const repo = await initRepo('gc');
    ok(jvs(['worktree', 'create', 't'], { cwd: repo.main }));
    const t = join(repo.root, 'worktrees/t');
    await writeFile(join(t, 'f'), 'x');
    const s = snapshot(t);
    ok(jvs(['worktree', 'remove', 't'], { cwd: repo.main }));
    const plan = JSON.parse(ok(jvs(['gc', 'plan', '--keep-within', '0', '--json'], { cwd: repo.main })).stdout) as { plan_id: string; to_delete: string[] };
    expect(plan.to_delete).toEqual([s.snapshot_id]);
    const run = ok(jvs(['gc', 'run', '--plan-id', plan.plan_id], { cwd: repo.main }));
    expect(run.stderr).toBe('');
    expect(existsSync(snapshotDir(repo, s.snapshot_id))).toBe(false);
    expect(readdirSync(join(repo.root, '.jvs/ext/gc/trash'))).toEqual([]);
    expect(existsSync(join(repo.root, '.jvs/gc/tombstones', `${s.snapshot_id}.json`))).toBe(true);
  });

  it.skipIf(!isRoot)('unprivileged: gc names the missing permission and deletes nothing; new worktrees stay plain with a note', async () => {
    const repo = await initRepo('unpriv');
    // Root makes the subvolumes; nobody owns them from then on (snapshots of one's own
    // subvolume need no privilege, deleting them does).
    ok(jvs(['worktree', 'create', 't'], { cwd: repo.main }));
    expect(spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, repo.root]).status).toBe(0);
    const t = join(repo.root, 'worktrees/t');
    await writeFile(join(t, 'f'), 'x');
    spawnSync('chown', [`${NOBODY}:${NOBODY}`, join(t, 'f')]);
    const s = JSON.parse(ok(asNobody(['snapshot', '--json'], t)).stdout) as { snapshot_id: string; engine: string };
    expect(s.engine).toBe('btrfs-snapshot');
    // A writable subvolume the ioctl may not delete is emptied and removed like a directory.
    ok(asNobody(['worktree', 'remove', 't'], repo.main));
    expect(existsSync(t)).toBe(false);

    const created = ok(asNobody(['worktree', 'create', 'u'], repo.main));
    expect(created.stderr).toMatch(/^note: payload u is a plain directory, not a btrfs subvolume \(snapshots will be reflink copies\): .*CAP_SYS_ADMIN \(root\) or the user_subvol_rm_allowed mount option/m);
    expect(await core.isSubvolume(join(repo.root, 'worktrees/u'))).toBe(false);

    const plan = JSON.parse(ok(asNobody(['gc', 'plan', '--keep-within', '0', '--json'], repo.main)).stdout) as { plan_id: string };
    const run = asNobody(['gc', 'run', '--plan-id', plan.plan_id], repo.main);
    expect(run.stderr).toContain(
      `warning: gc: failed to delete ${s.snapshot_id}: E_IO: delete subvolume ${snapshotDir(repo, s.snapshot_id)}: deleting a btrfs subvolume needs CAP_SYS_ADMIN (root) or the user_subvol_rm_allowed mount option (EPERM); run jvs as root, or mount the file system with -o user_subvol_rm_allowed\n`,
    );
    // Nothing changed: the snapshot is published, read-only, complete and verifies.
    const dir = snapshotDir(repo, s.snapshot_id);
    expect(await core.isSubvolume(dir)).toBe(true);
    expect(await isReadOnly(dir)).toBe(true);
    expect(existsSync(join(repo.root, '.jvs/descriptors', `${s.snapshot_id}.json`))).toBe(true);
    expect(existsSync(join(repo.root, '.jvs/gc/tombstones', `${s.snapshot_id}.json`))).toBe(false);
    ok(asNobody(['verify', s.snapshot_id], repo.main));

    // With the privilege it goes.
    const again = JSON.parse(ok(jvs(['gc', 'plan', '--keep-within', '0', '--json'], { cwd: repo.main })).stdout) as { plan_id: string };
    ok(jvs(['gc', 'run', '--plan-id', again.plan_id], { cwd: repo.main }));
    expect(existsSync(dir)).toBe(false);
  });

  it.skipIf(!isRoot)('a subvolume worktree this user may not snapshot is copied, with a note', async () => {
    const repo = await initRepo('not-owner');
    expect(spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, repo.root]).status).toBe(0);
    // main stays root's, writable by all: nobody may write it, not snapshot it.
    expect(spawnSync('chown', ['0:0', repo.main]).status).toBe(0);
    await chmod(repo.main, 0o777);
    const r = ok(asNobody(['snapshot', '--json'], repo.main));
    expect((JSON.parse(r.stdout) as { engine: string }).engine).toBe('reflink-copy');
    expect(r.stderr).toMatch(/^note: snapshot copied with reflink-copy, not a btrfs subvolume snapshot: snapshot subvolume .*: Operation not permitted/);
    ok(asNobody(['verify', '--all'], repo.main));
  });

  it('a partial snapshot, and a worktree holding another subvolume, are reflink copies', async () => {
    const repo = await initRepo('fallback');
    await mkdir(join(repo.main, 'data'));
    await writeFile(join(repo.main, 'data/x'), 'x');
    await writeFile(join(repo.main, 'other'), 'o');
    const partial = snapshot(repo.main, '--paths', 'data');
    expect(partial.engine).toBe('reflink-copy');
    expect(await core.isSubvolume(snapshotDir(repo, partial.snapshot_id))).toBe(false);
    expect(readdirSync(snapshotDir(repo, partial.snapshot_id)).sort()).toEqual(['.READY', 'data']);

    await expectNestedSubvolumeCloned(repo);
  });

  it('a nested subvolume that takes the name of a directory the parent had is found too', async () => {
    // The directory entry points into another tree: no changed inode of the worktree shows it.
    const repo = await initRepo('nested-replaces');
    await mkdir(join(repo.main, 'nested'));
    await writeFile(join(repo.main, 'a'), 'a');
    expect(snapshot(repo.main).engine).toBe('btrfs-snapshot');
    await rm(join(repo.main, 'nested'), { recursive: true });
    await expectNestedSubvolumeCloned(repo);
  });

  it('`.READY` directories below the root, moved in or removed after the parent, are captured exactly', async () => {
    const repo = await initRepo('ready-below');
    await mkdir(join(repo.main, 'd/.READY'), { recursive: true });
    await writeFile(join(repo.main, 'd/.READY/f'), 'in a .READY directory');
    await mkdir(join(repo.main, 'sub/deep'), { recursive: true });
    await writeFile(join(repo.main, 'sub/deep/g'), 'moved later');
    await mkdir(join(repo.main, 'x'));
    expect(snapshot(repo.main).engine).toBe('btrfs-snapshot');
    // One change per snapshot, each verified: the payload hash must be of what was captured.
    const check = async (): Promise<void> => {
      const s = snapshot(repo.main);
      expect(s.engine).toBe('btrfs-snapshot');
      expect((await core.hashTree(snapshotDir(repo, s.snapshot_id))).rootHash).toBe((await core.hashTree(repo.main)).rootHash);
      ok(jvs(['verify', '--all'], { cwd: repo.main }));
    };
    await rm(join(repo.main, 'd/.READY'), { recursive: true });
    await check();
    await rename(join(repo.main, 'sub'), join(repo.main, 'x/.READY'));
    await check();
    expect(ok(jvs(['status', '--json'], { cwd: repo.main })).stdout).toMatch(/"clean": true/);
  });

  it('a snapshot from the stat cache finds a new nested subvolume and clones instead', async () => {
    const repo = await initRepo('nested-after');
    await writeFile(join(repo.main, 'a'), 'a');
    expect(snapshot(repo.main).engine).toBe('btrfs-snapshot');
    await expectNestedSubvolumeCloned(repo);
    // Without the nested subvolume, snapshots are subvolume snapshots again.
    await core.deleteSubvolume(join(repo.main, 'nested'));
    await writeFile(join(repo.main, 'a'), 'b');
    const again = snapshot(repo.main);
    expect(again.engine).toBe('btrfs-snapshot');
    expect(await readFile(join(snapshotDir(repo, again.snapshot_id), 'a'), 'utf8')).toBe('b');
    ok(jvs(['verify', '--all'], { cwd: repo.main }));
  });

  it.skipIf(process.getuid?.() !== 0)('a snapshot from the stat cache finds a mount inside the worktree (mountinfo) and clones it', async () => {
    const repo = await initRepo('mount-after');
    await writeFile(join(repo.main, 'a'), 'a');
    expect(snapshot(repo.main).engine).toBe('btrfs-snapshot');
    await mkdir(join(repo.main, 'mnt'));
    expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', join(repo.main, 'mnt')]).status).toBe(0);
    try {
      await writeFile(join(repo.main, 'mnt/m'), 'mounted');
      const s = snapshot(repo.main);
      expect(s.engine).toBe('reflink-copy');
      // tmpfs cannot share extents: the copy inside it is reported too.
      expect(s.stderr).toContain('note: snapshot copied with reflink-copy, not a btrfs subvolume snapshot: mnt is a mount point\n');
      expect(await readFile(join(snapshotDir(repo, s.snapshot_id), 'mnt/m'), 'utf8')).toBe('mounted');
      ok(jvs(['verify', '--all'], { cwd: repo.main }));
    } finally {
      spawnSync('umount', [join(repo.main, 'mnt')]);
    }
  });

  it('a plain-directory worktree (as v8.2 makes them) keeps working with reflink', async () => {
    const repo = await initRepo('plain');
    await core.deleteSubvolume(repo.main);
    await mkdir(repo.main);
    await writeFile(join(repo.main, 'a'), 'a');
    expect(snapshot(repo.main).engine).toBe('reflink-copy');
  });

  describe('a crash at each step of the publication protocol', () => {
    it.each(SNAPSHOT_STEPS)('%s: doctor repairs what is left, the subvolume tmp included', async (step) => {
      const repo = await initRepo('crash');
      await writeFile(join(repo.main, 'a.txt'), 'old');
      const v1 = snapshot(repo.main).snapshot_id;
      await writeFile(join(repo.main, 'a.txt'), 'new');
      const content = await hashOf(repo.main);

      const killed = jvs(['snapshot'], { cwd: repo.main, env: { JVS_CRASH_AT: step } });
      expect(killed.status, killed.stderr).toBe(-1);
      const extra = step === 'snapshot:published' ? ['--repair', 'advance_head'] : [];
      ok(jvs(['doctor', '--strict', '--repair-runtime', ...extra], { cwd: repo.main }));
      const after = JSON.parse(ok(jvs(['doctor', '--strict', '--json'], { cwd: repo.main })).stdout) as { healthy: boolean; findings: unknown };
      expect(after).toMatchObject({ healthy: true, findings: null });
      expect(snapshotNames(repo).some((n) => n.endsWith('.tmp'))).toBe(false);
      expect(await hashOf(repo.main)).toBe(content);
      const published = snapshotNames(repo).filter((n) => n !== v1);
      for (const id of published) expect(await isReadOnly(snapshotDir(repo, id))).toBe(true);
      // The repaired repository keeps working.
      const next = snapshot(repo.main);
      expect(next.engine).toBe('btrfs-snapshot');
      ok(jvs(['verify', '--all'], { cwd: repo.main }));
      expect(readFileSync(join(snapshotDir(repo, next.snapshot_id), 'a.txt'), 'utf8')).toBe('new');
    });
  });
});
