import { chmod, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { extractFixture, FIXTURE_IDS as ID } from '../support/fixture.js';
import { freshRepo, tempDir, writeTree } from '../support/repo.js';

let tmp: string;
let root: string;
let repo: Repository;
beforeAll(async () => {
  tmp = await tempDir('inspect');
  root = extractFixture(tmp);
  repo = Repository.openAt(root, { env: {} });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const paths = (cs: { path: Buffer }[] | null): string[] | null => cs && cs.map((c) => c.path.toString());

describe('diff (§2.5)', () => {
  it('compares two snapshots: files and symlinks only, directories ignored', async () => {
    const d = await repo.diff({ from: 'v1', to: 'v2' });
    expect(d).toMatchObject({ from_snapshot_id: ID.first, to_snapshot_id: ID.second, total_added: 1, total_removed: 0, total_modified: 1, removed: null });
    expect(paths(d.added)).toEqual(['newdir/n.txt']);
    expect(paths(d.modified)).toEqual(['a.txt']);
    const m = d.modified![0]!;
    expect(Object.keys(m)).toEqual(['path', 'type', 'mode', 'size', 'old_size', 'old_hash', 'new_hash']);
    expect(m.mode).toBe(0o644);
    expect(Object.keys(d)).toEqual(['from_snapshot_id', 'to_snapshot_id', 'from_time', 'to_time', 'added', 'removed', 'modified', 'total_added', 'total_removed', 'total_modified']);
  });

  it('without arguments compares the two newest snapshots', async () => {
    const d = await repo.diff();
    expect([d.from_snapshot_id, d.to_snapshot_id]).toEqual([ID.feature, ID.chain]);
  });

  it('with one argument compares with the worktree as it is now', async () => {
    const r = extractFixture(await tempDir('inspect1'));
    const rp = Repository.openAt(r, { env: {} });
    await writeFile(join(r, 'main/a.txt'), 'changed now');
    await unlink(join(r, 'main/run.sh'));
    await unlink(join(r, 'main/link'));
    await symlink('we:ird', join(r, 'main/link'));
    const d = await rp.diff({ from: 'v1', worktree: 'main' });
    expect(d.to_snapshot_id).toBe('');
    expect(paths(d.modified)).toEqual(['a.txt', 'link']);
    expect(d.modified![1]).toMatchObject({ mode: 134218239, is_symlink: true });
    expect(paths(d.removed)).toEqual(['run.sh']);
    expect(d.removed![0]!.mode).toBe(0o755);
    await expect(rp.diff({ from: 'v1' })).rejects.toMatchObject({ code: 'E_NOT_IN_WORKTREE' });
  });

  it('takes modes of a compressed snapshot from its records, not from the stored .gz files', async () => {
    const { repo: r, root: rr } = await freshRepo(tmp, 'gzdiff');
    await writeTree(join(rr, 'main'), { 'run.sh': { mode: 0o750, data: 'echo 1' } });
    const a = await r.snapshot({ worktree: 'main', compress: 6 });
    expect(a.compression).toEqual({ type: 'gzip', level: 6 });
    await writeFile(join(rr, 'main/run.sh'), 'echo 22');
    const b = await r.snapshot({ worktree: 'main' });
    const d = await r.diff({ from: a.snapshot_id, to: b.snapshot_id });
    expect(d.modified).toEqual([expect.objectContaining({ path: Buffer.from('run.sh'), mode: 0o750, size: 7, old_size: 6 })]);
    const back = await r.diff({ from: b.snapshot_id, to: a.snapshot_id });
    expect(back.modified![0]!.mode).toBe(0o750);
  });

  it('resolver errors carry their context', async () => {
    await expect(repo.diff({ from: 'nope', to: 'v2' })).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: 'resolve from snapshot: no snapshot found matching "nope"' });
    await expect(repo.diff({ from: 'v1', to: '1795' })).rejects.toMatchObject({ code: 'E_AMBIGUOUS_REF', message: expect.stringMatching(/^resolve to snapshot: ambiguous query "1795"/) });
    const { repo: empty } = await freshRepo(tmp, 'empty');
    await expect(empty.diff()).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: 'need at least 2 snapshots to diff' });
  });
});

describe('status (§2.14)', () => {
  it('reports changes against the head; permission-only changes do not count', async () => {
    const { repo: r, root: rr } = await freshRepo(tmp, 'st');
    const main = join(rr, 'main');
    expect(await r.status('main')).toMatchObject({ head_snapshot_id: null, clean: true, added: [] });
    await writeTree(main, { 'a.txt': 'aaa', 'b.txt': 'bbb', 'c.txt': 'ccc' });
    expect(paths((await r.status('main')).added)).toEqual(['a.txt', 'b.txt', 'c.txt']);
    const s1 = await r.snapshot({ worktree: 'main' });
    expect(await r.status('main')).toMatchObject({ head_snapshot_id: s1.snapshot_id, detached: false, clean: true });
    await writeFile(join(main, 'a.txt'), 'AAA'); // same size, new content
    await writeFile(join(main, 'b.txt'), 'longer');
    await unlink(join(main, 'c.txt'));
    await writeFile(join(main, 'd.txt'), 'd');
    await chmod(join(main, 'a.txt'), 0o600);
    const st = await r.status('main');
    expect(st.clean).toBe(false);
    expect(st.modified).toEqual([
      { path: Buffer.from('a.txt'), type: 'modified', size: 3, old_size: 3 },
      { path: Buffer.from('b.txt'), type: 'modified', size: 6, old_size: 3 },
    ]);
    expect(st.removed).toEqual([{ path: Buffer.from('c.txt'), type: 'removed', size: 3 }]);
    expect(st.added).toEqual([{ path: Buffer.from('d.txt'), type: 'added', size: 1 }]);
  });
});

describe('ls and cat (§2.15)', () => {
  it('lists the root and subdirectories of a snapshot; the READY marker is invisible', async () => {
    const top = await repo.ls('v1', undefined);
    expect(top.map((e) => `${e.type} ${e.path.toString()}`)).toEqual([
      'file a.txt',
      'dir data',
      'symlink link',
      'file naïve café.txt',
      'file run.sh',
      'dir sub',
      'file we:ird',
    ]);
    expect(top.find((e) => e.type === 'symlink')).toMatchObject({ target: Buffer.from('a.txt'), mode: 0o777 });
    expect((await repo.ls('v1', 'sub')).map((e) => e.path.toString())).toEqual(['sub/b.txt', 'sub/empty']);
    expect(await repo.ls('v1', 'sub/b.txt')).toEqual([{ path: Buffer.from('sub/b.txt'), type: 'file', mode: 0o600, size: expect.any(Number) }]);
    await expect(repo.ls('v1', 'nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: `ls: path not found in snapshot ${ID.first}: nope` });
  });

  it('cat streams bytes, follows symlinks inside the snapshot only', async () => {
    expect(await text(await repo.cat('v1', 'link'))).toBe(await text(await repo.cat('v1', 'a.txt')));
    await expect(repo.cat('v1', 'sub')).rejects.toMatchObject({ code: 'E_USAGE', message: 'cat: sub is a directory' });
    await expect(repo.cat('v1', 'nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: `cat: path not found in snapshot ${ID.first}: nope` });
    await expect(repo.cat('v1', '../x')).rejects.toMatchObject({ code: 'E_PATH_ESCAPE' });
    const { repo: r, root: rr } = await freshRepo(tmp, 'cat');
    await writeTree(join(rr, 'main'), { out: { link: '../../../../etc/passwd' }, dangling: { link: 'nothing' } });
    await r.snapshot({ worktree: 'main' });
    await expect(r.cat('HEAD', 'out', 'main')).rejects.toMatchObject({ code: 'E_PATH_ESCAPE' });
    await expect(r.cat('HEAD', 'dangling', 'main')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
