import { spawnSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { readWorktreeConfig } from '../../src/formats/worktree-config.js';
import { getCore } from '../../src/native/index.js';
import { RESTORE_STEPS } from '../../src/restore/restore.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { freshRepo, tempDir, writeTree } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('restore');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

const hashOf = async (dir: string): Promise<string> => (await getCore().hashTree(dir)).rootHash;

/** A repository with v1 and v2 of main; the worktree is left at v2 (clean). */
async function twoVersions(): Promise<{ repo: Repository; root: string; main: string; v1: string; v2: string; notes: string[] }> {
  const notes: string[] = [];
  const root = join(tmp, `r${n++}`);
  await Repository.init(root);
  const repo = Repository.openAt(root, { env: {}, onNote: (m) => notes.push(m) });
  const main = join(root, 'main');
  await writeTree(main, { 'a.txt': 'one', 'same.txt': 'unchanged', 'sub/b.txt': 'b', link: { link: 'a.txt' }, 'run.sh': { mode: 0o755, data: 'x' } });
  const v1 = (await repo.snapshot({ worktree: 'main', note: 'v1' })).snapshot_id;
  await writeFile(join(main, 'a.txt'), 'two!');
  await rm(join(main, 'sub'), { recursive: true });
  await writeTree(main, { 'new/deep/n.txt': 'n' });
  await chmod(join(main, 'run.sh'), 0o644);
  await unlink(join(main, 'link'));
  await symlink('same.txt', join(main, 'link'));
  const v2 = (await repo.snapshot({ worktree: 'main', note: 'v2' })).snapshot_id;
  return { repo, root, main, v1, v2, notes };
}

describe('restore (§2.6, §5.3)', () => {
  it('makes the worktree identical to the snapshot, touching only what differs', async () => {
    const { repo, root, main, v1, v2 } = await twoVersions();
    const rootIno = (await lstat(main)).ino;
    const same = await lstat(join(main, 'same.txt'), { bigint: true });
    const r = await repo.restore({ worktree: 'main', ref: v1 });
    expect(r).toEqual({ detached: true, snapshot_id: v1, status: 'restored' });
    expect(Object.keys(r)).toEqual(['detached', 'snapshot_id', 'status']);
    expect(await hashOf(main)).toBe(await hashOf(join(root, '.jvs/snapshots', v1)));
    expect(await readlink(join(main, 'link'))).toBe('a.txt');
    expect((await lstat(join(main, 'run.sh'))).mode & 0o777).toBe(0o755);
    expect((await lstat(main)).ino).toBe(rootIno);
    const after = await lstat(join(main, 'same.txt'), { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([same.ino, same.mtimeNs]);
    const cfg = await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'));
    expect(cfg).toMatchObject({ head_snapshot_id: v1, latest_snapshot_id: v2 });
    expect((await readdir(root)).filter((e) => e.includes('restore-tmp'))).toEqual([]);
    expect(await readdir(join(root, '.jvs/ext/restore')).catch(() => [])).toEqual([]);
    // Clean worktree: nothing to save.
    expect((await readdir(join(root, '.jvs/snapshots'))).length).toBe(2);

    const back = await repo.restore({ worktree: 'main', ref: 'HEAD' });
    expect(back).toEqual({ detached: false, snapshot_id: v2, status: 'restored' });
    expect(await hashOf(main)).toBe(await hashOf(join(root, '.jvs/snapshots', v2)));
  });

  it('saves unsnapshotted work as a safety snapshot first, unless --discard', async () => {
    const { repo, root, main, v1, v2 } = await twoVersions();
    await writeFile(join(main, 'a.txt'), 'unsaved work');
    const r = await repo.restore({ worktree: 'main', ref: v1 });
    expect(r.safety_snapshot_id).toMatch(/^\d{13}-[0-9a-f]{8}$/);
    const safety = JSON.parse(await readFile(join(root, '.jvs/descriptors', `${r.safety_snapshot_id}.json`), 'utf8')) as Record<string, unknown>;
    expect(safety).toMatchObject({ note: `safety: before restore to ${v1}`, tags: ['jvs-safety'], parent_id: v2, worktree_name: 'main' });
    expect(JSON.parse(await readFile(join(root, '.jvs/ext/meta', `${r.safety_snapshot_id}.json`), 'utf8'))).toMatchObject({ kind: 'safety' });
    expect(await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'))).toMatchObject({ head_snapshot_id: v1, latest_snapshot_id: v2 });
    const audit = (await readFile(join(root, '.jvs/audit/audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event_type: string; details?: Record<string, unknown> });
    expect(audit.at(-2)).toMatchObject({ event_type: 'snapshot_create', details: { safety: true } });
    expect(audit.at(-1)).toMatchObject({ event_type: 'restore', details: { detached: true, safety_snapshot_id: r.safety_snapshot_id } });

    await writeFile(join(main, 'a.txt'), 'thrown away');
    const d = await repo.restore({ worktree: 'main', ref: v2, discard: true });
    expect(d.safety_snapshot_id).toBeUndefined();
    expect(await readFile(join(main, 'a.txt'), 'utf8')).toBe('two!');
  });

  it('restores every v8.2 fixture snapshot exactly, removing the v8.2 root .READY', async () => {
    const root = extractFixture(await tempDir('fx'));
    const repo = Repository.openAt(root, { env: {} });
    for (const id of Object.values(FIXTURE_IDS)) {
      await repo.restore({ worktree: 'main', ref: id, discard: true });
      expect(await hashOf(join(root, 'main')), id).toBe(await hashOf(join(root, '.jvs/snapshots', id)));
      await expect(lstat(join(root, 'main/.READY'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
    // Continue the lineage: back to HEAD, then a new snapshot with the latest as parent.
    await repo.restore({ worktree: 'main', ref: 'HEAD', discard: true });
    await writeFile(join(root, 'main/a.txt'), 'continued');
    expect((await repo.snapshot({ worktree: 'main' })).parent_id).toBe(FIXTURE_IDS.chain);
  });

  it('restores only the given paths and leaves the head', async () => {
    const { repo, root, main, v1, v2 } = await twoVersions();
    const r = await repo.restore({ worktree: 'main', ref: v1, paths: ['sub', 'a.txt'] });
    expect(r).toEqual({ detached: false, paths: ['sub', 'a.txt'], snapshot_id: v1, status: 'restored' });
    expect(await readFile(join(main, 'sub/b.txt'), 'utf8')).toBe('b');
    expect(await readFile(join(main, 'a.txt'), 'utf8')).toBe('one');
    expect(await readFile(join(main, 'new/deep/n.txt'), 'utf8')).toBe('n');
    expect(await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'))).toMatchObject({ head_snapshot_id: v2 });
    await expect(repo.restore({ worktree: 'main', ref: v1, paths: ['nowhere'] })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: 'restore: path not found in snapshot or worktree: nowhere',
    });
    await expect(repo.restore({ worktree: 'main', ref: v1, paths: ['../x'] })).rejects.toMatchObject({ code: 'E_PATH_ESCAPE' });
  });

  it('replaces a worktree symlink standing where the snapshot has a directory, never following it', async () => {
    const { repo, main, v1 } = await twoVersions();
    const outside = join(tmp, `outside${n++}`);
    await mkdir(outside);
    await symlink(outside, join(main, 'sub'));
    await repo.restore({ worktree: 'main', ref: v1, discard: true });
    expect((await lstat(join(main, 'sub'))).isDirectory()).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });

  it('errors: unknown ref, HEAD without snapshots, corrupt descriptor', async () => {
    const { repo, root, v1 } = await twoVersions();
    await expect(repo.restore({ worktree: 'main', ref: 'nope' })).rejects.toMatchObject({ code: 'E_NOT_FOUND', shape: 'block', message: "snapshot 'nope' not found" });
    const { repo: empty } = await freshRepo(tmp, `e${n++}`);
    await expect(empty.restore({ worktree: 'main', ref: 'HEAD' })).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: 'restore to latest: worktree has no snapshots' });
    const p = join(root, '.jvs/descriptors', `${v1}.json`);
    await writeFile(p, (await readFile(p, 'utf8')).replace('"note": "v1"', '"note": "v1!"'));
    await expect(repo.restore({ worktree: 'main', ref: v1 })).rejects.toMatchObject({
      code: 'E_DESCRIPTOR_CORRUPT',
      message: 'restore: verify snapshot: E_DESCRIPTOR_CORRUPT: checksum mismatch',
    });
  });
});

describe('an interrupted restore', () => {
  const repoRoot = join(import.meta.dirname, '..', '..');

  it.each(RESTORE_STEPS)('crashed at %s is completed by the next restore, with a note', async (step) => {
    const { root, main, v1 } = await twoVersions();
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `import { Repository } from './src/index.ts'; await Repository.openAt(process.argv[1]).restore({ worktree: 'main', ref: process.argv[2] });`, root, v1],
      { cwd: repoRoot, env: { ...process.env, JVS_CRASH_AT: step }, encoding: 'utf8' },
    );
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect((await readdir(join(root, '.jvs/ext/restore'))).length).toBe(1);
    const notes: string[] = [];
    const repo = Repository.openAt(root, { env: {}, onNote: (m) => notes.push(m) });
    const cfgBefore = await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'));
    await repo.restore({ worktree: 'main', ref: cfgBefore.head_snapshot_id === v1 ? v1 : v1 });
    expect(notes).toEqual([`completed interrupted restore to ${v1}`]);
    expect(await hashOf(main)).toBe(await hashOf(join(root, '.jvs/snapshots', v1)));
    expect(await readdir(join(root, '.jvs/ext/restore'))).toEqual([]);
    expect((await readdir(root)).filter((e) => e.includes('restore-tmp'))).toEqual([]);
  });
});
