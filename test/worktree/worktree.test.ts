import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { readWorktreeConfig } from '../../src/formats/worktree-config.js';
import { getCore } from '../../src/native/index.js';
import { extractFixture, FIXTURE_IDS as ID } from '../support/fixture.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('wt');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

async function fixtureRepo(): Promise<{ repo: Repository; root: string; warnings: string[] }> {
  const warnings: string[] = [];
  const root = extractFixture(await tempDir('wtfx'));
  return { repo: Repository.openAt(root, { env: {}, onWarning: (w) => warnings.push(w) }), root, warnings };
}

const hashOf = async (dir: string): Promise<string> => (await getCore().hashTree(dir)).rootHash;

describe('worktree create (§2.7)', () => {
  it('creates an empty worktree with a config and an audit record', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const cfg = await repo.createWorktree('exp-1');
    expect(Object.keys(cfg)).toEqual(['name', 'created_at']);
    expect((await lstat(join(root, 'worktrees/exp-1'))).isDirectory()).toBe(true);
    expect(await readWorktreeConfig(join(root, '.jvs/worktrees/exp-1/config.json'))).toEqual(cfg);
    await expect(repo.createWorktree('exp-1')).rejects.toMatchObject({ code: 'E_EXISTS', message: 'create worktree: worktree exp-1 already exists' });
    const last = (await readFile(join(root, '.jvs/audit/audit.jsonl'), 'utf8')).trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).toMatchObject({ event_type: 'worktree_create', worktree_name: 'exp-1' });
  });

  it.each([
    ['', 'name must not be empty'],
    ['.', "name must not be '.': ."],
    ['..', "name must not contain '..': .."],
    ['../x', "name must not contain '..': ../x"],
    ['a/b', 'name must not contain separators: a/b'],
    ['a\\b', 'name must not contain separators: a\\b'],
    ['tab\there', 'name must not contain control characters: "tab\\there"'],
    ['bell\x07', 'name must not contain control characters: "bell\\a"'],
    ['cafe\u0301', 'name must match [a-zA-Z0-9._-]+: cafe\u0301'],
    ['caf\u00e9', 'name must match [a-zA-Z0-9._-]+: caf\u00e9'],
    ['x'.repeat(300), `name must be at most 255 characters: ${'x'.repeat(300)}`],
  ])('rejects the name %j and changes nothing', async (name, rule) => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    await expect(repo.createWorktree(name)).rejects.toMatchObject({ code: 'E_NAME_INVALID', message: `create worktree: E_NAME_INVALID: ${rule}` });
    expect(await readdir(join(root, 'worktrees'))).toEqual([]);
    expect(await readdir(join(root, '.jvs/worktrees'))).toEqual(['main']);
  });

  it('refuses a symlinked .jvs/worktrees/<name> that leads outside the repository', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const outside = join(tmp, `outside${n++}`);
    await mkdir(outside);
    await symlink(outside, join(root, '.jvs/worktrees/evil'));
    await expect(repo.createWorktree('evil')).rejects.toMatchObject({ code: 'E_PATH_ESCAPE' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('--from materializes the snapshot without its READY marker; head and latest unset', async () => {
    const { repo, root } = await fixtureRepo();
    const cfg = await repo.createWorktree('from-v2', { from: 'v2' });
    expect(cfg).toEqual({ name: 'from-v2', base_snapshot_id: ID.second, created_at: expect.any(String) });
    expect(await hashOf(join(root, 'worktrees/from-v2'))).toBe(await hashOf(join(root, '.jvs/snapshots', ID.second)));
    await expect(lstat(join(root, 'worktrees/from-v2/.READY'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(repo.createWorktree('x', { from: 'no-such-ref' })).rejects.toMatchObject({ code: 'E_NOT_FOUND', shape: 'block' });
    expect(await readdir(join(root, 'worktrees'))).not.toContain('x');
  });
});

describe('worktree fork (§2.7, §5.4)', () => {
  it('forks the head with an automatic name, a ref, or a name', async () => {
    const { repo, root } = await fixtureRepo();
    const auto = await repo.forkWorktree('feature');
    expect(auto).toEqual({
      name: `fork-${ID.feature.slice(0, 8)}`,
      base_snapshot_id: ID.feature,
      head_snapshot_id: ID.feature,
      latest_snapshot_id: ID.feature,
      created_at: expect.any(String),
    });
    expect(await hashOf(join(root, 'worktrees', auto.name))).toBe(await hashOf(join(root, '.jvs/snapshots', ID.feature)));
    // One arg that resolves is a ref (and collides with the automatic name from before).
    await expect(repo.forkWorktree('main', ['feat'])).rejects.toMatchObject({ code: 'E_EXISTS', message: `fork worktree: worktree fork-17952634 already exists` });
    // One arg that does not resolve is the new name; the snapshot is the current head.
    const named = await repo.forkWorktree('main', ['experiment']);
    expect(named.base_snapshot_id).toBe(ID.first);
    const both = await repo.forkWorktree('main', ['v2', 'second-copy']);
    expect(both.head_snapshot_id).toBe(ID.second);
    await expect(repo.forkWorktree('main', ['nope', 'n2'])).rejects.toMatchObject({ code: 'E_NOT_FOUND', shape: 'block' });
    await expect(repo.forkWorktree('scratch')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: 'current worktree has no snapshots to fork from' });
  });
});

describe('worktree list, path, rename, remove (§2.7)', () => {
  it('lists loadable configs by name and warns about malformed ones', async () => {
    const { repo, root, warnings } = await fixtureRepo();
    await mkdir(join(root, '.jvs/worktrees/broken'));
    await writeFile(join(root, '.jvs/worktrees/broken/config.json'), '{oops');
    expect((await repo.listWorktrees()).map((c) => c.name)).toEqual(['feature', 'main', 'scratch']);
    expect(warnings[0]).toMatch(/^skipping malformed worktree broken: /);
    expect(await repo.worktreePath('feature')).toBe(join(root, 'worktrees/feature'));
    expect(await repo.worktreePath('main')).toBe(join(root, 'main'));
    await expect(repo.worktreePath('featur')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: "worktree 'featur' not found", blockLines: ['  Did you mean: feature?'] });
    await expect(repo.worktreePath('zzz')).rejects.toMatchObject({ blockLines: ['  Available worktrees: feature, main, scratch'] });
  });

  it('renames payload, config and name; refuses main and existing names', async () => {
    const { repo, root } = await fixtureRepo();
    await repo.renameWorktree('feature', 'feature2');
    expect((await readWorktreeConfig(join(root, '.jvs/worktrees/feature2/config.json'))).name).toBe('feature2');
    expect(await readFile(join(root, 'worktrees/feature2/feat.txt'), 'utf8')).toBeTruthy();
    await expect(repo.renameWorktree('main', 'other')).rejects.toMatchObject({ code: 'E_NAME_INVALID', message: 'rename worktree: cannot rename main worktree' });
    await expect(repo.renameWorktree('feature2', 'scratch')).rejects.toMatchObject({ code: 'E_EXISTS', message: 'rename worktree: worktree scratch already exists' });
    await expect(repo.renameWorktree('feature2', 'bad/name')).rejects.toMatchObject({ code: 'E_NAME_INVALID' });
    await expect(repo.renameWorktree('ghost', 'x')).rejects.toMatchObject({ code: 'E_NOT_FOUND', shape: 'block' });
  });

  it('removes a worktree; refuses detached without --force and main', async () => {
    const { repo, root } = await fixtureRepo();
    const err = await repo.removeWorktree('main').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DETACHED', message: "worktree 'main' is in detached state" });
    expect((err as { stdout: string }).stdout).toContain(`Current position: ${ID.first}\nLatest snapshot: ${ID.chain}`);
    await expect(repo.removeWorktree('main', { force: true })).rejects.toMatchObject({ code: 'E_NAME_INVALID', message: 'remove worktree: cannot remove main worktree' });
    await repo.removeWorktree('feature');
    await expect(lstat(join(root, 'worktrees/feature'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(root, '.jvs/worktrees/feature'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(join(root, '.jvs/snapshots'))).length).toBe(4);
  });
});
