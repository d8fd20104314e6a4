import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { verifyChain } from '../../src/formats/audit.js';
import { extractFixture } from '../support/fixture.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-init-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('Repository.init (§2.1)', () => {
  it('creates the layout, files with their modes, and an init audit record', async () => {
    const root = join(tmp, 'demo');
    const { result } = await Repository.init(root);
    expect(result.format_version).toBe(1);
    expect(result.repo_root).toBe(root);
    expect(result.repo_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await readFile(join(root, '.jvs/format_version'), 'utf8')).toBe('1\n');
    expect(await readFile(join(root, '.jvs/repo_id'), 'utf8')).toBe(`${result.repo_id}\n`);
    expect((await stat(join(root, '.jvs/format_version'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, '.jvs/repo_id'))).mode & 0o777).toBe(0o600);
    for (const d of ['.jvs/worktrees/main', '.jvs/snapshots', '.jvs/descriptors', '.jvs/intents', '.jvs/audit', '.jvs/gc', 'main', 'worktrees']) {
      expect((await lstat(join(root, d))).isDirectory(), d).toBe(true);
    }
    const cfg = await readFile(join(root, '.jvs/worktrees/main/config.json'), 'utf8');
    expect(cfg).toMatch(/^\{\n {2}"name": "main",\n {2}"created_at": "\d{4}-\d\d-\d\dT[\d:.]+Z"\n\}$/);
    const audit = (await readFile(join(root, '.jvs/audit/audit.jsonl'), 'utf8')).trim().split('\n');
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!)).toMatchObject({ event_type: 'init', worktree_name: 'main', details: { repo_id: result.repo_id }, prev_hash: '' });
    expect((await verifyChain(join(root, '.jvs/audit/audit.jsonl'))).problem).toBeUndefined();
    // Nothing of ours outside .jvs/ext, and no ext yet.
    expect((await readdir(join(root, '.jvs'))).sort()).toEqual(['audit', 'descriptors', 'format_version', 'gc', 'intents', 'repo_id', 'snapshots', 'worktrees']);
  });

  it('refuses an existing repository and changes nothing', async () => {
    const root = join(tmp, 'twice');
    const { result } = await Repository.init(root);
    await expect(Repository.init(root)).rejects.toMatchObject({
      code: 'E_EXISTS',
      message: `failed to initialize repository: E_EXISTS: repository already exists: ${root}`,
    });
    expect(await readFile(join(root, '.jvs/repo_id'), 'utf8')).toBe(`${result.repo_id}\n`);
  });

  it('uses an existing non-repository directory as is', async () => {
    const root = join(tmp, 'existing');
    await mkdir(root);
    await writeFile(join(root, 'keep.txt'), 'mine');
    await Repository.init(root);
    expect(await readFile(join(root, 'keep.txt'), 'utf8')).toBe('mine');
  });
});

describe('Repository.open and info (§1.7, §2.2)', () => {
  it('finds the repository from anywhere below its root', async () => {
    const root = join(tmp, 'found');
    await Repository.init(root);
    await mkdir(join(root, 'main', 'deep', 'er'), { recursive: true });
    for (const from of [root, join(root, '.jvs'), join(root, 'main', 'deep', 'er')]) {
      expect((await Repository.open(from)).root).toBe(root);
    }
  });

  it('outside a repository: the not-a-repository block', async () => {
    const outside = join(tmp, 'outside');
    await mkdir(outside);
    await expect(Repository.open(outside)).rejects.toMatchObject({ code: 'E_NOT_A_REPO', shape: 'block', message: 'not a JVS repository (or any parent)' });
  });

  it('worktree-scoped discovery names the worktree or fails with the contract forms', async () => {
    const root = join(tmp, 'wtscope');
    await Repository.init(root);
    await mkdir(join(root, 'worktrees', 'exp', 'deep'), { recursive: true });
    expect((await Repository.openWorktree(join(root, 'main'))).worktree).toBe('main');
    expect((await Repository.openWorktree(join(root, 'worktrees/exp/deep'))).worktree).toBe('exp');
    await expect(Repository.openWorktree(join(root, '.jvs'))).rejects.toMatchObject({
      code: 'E_NOT_IN_WORKTREE',
      message: 'not inside a worktree (current directory is not under main/ or worktrees/)',
    });
    await expect(Repository.openWorktree(root)).rejects.toMatchObject({ code: 'E_NOT_IN_WORKTREE' });
    const outside = join(tmp, 'nowhere');
    await mkdir(outside);
    await expect(Repository.openWorktree(outside)).rejects.toMatchObject({
      code: 'E_NOT_A_REPO',
      message: 'not a JVS repository: no JVS repository found (no .jvs/ in parent directories)',
    });
    expect((await Repository.openWithWorktree(join(root, '.jvs'))).worktree).toBeUndefined();
  });

  it('a newer format version is E_FORMAT_UNSUPPORTED', async () => {
    const root = join(tmp, 'newer');
    await Repository.init(root);
    await writeFile(join(root, '.jvs/format_version'), '2\n');
    await expect(Repository.open(root)).rejects.toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      message: 'not a JVS repository: E_FORMAT_UNSUPPORTED: format version 2 > supported 1',
    });
  });

  it('info on the v8.2 fixture counts its snapshots and worktrees', async () => {
    const root = extractFixture(await mkdtemp(join(tmp, 'fx-')));
    const info = await Repository.openAt(root, { env: {} }).info();
    expect(info).toEqual({
      format_version: 1,
      repo_id: 'a5736d3d-00ea-4174-9c4c-a56a20099094',
      repo_root: root,
      snapshot_engine: expect.stringMatching(/^(copy|reflink-copy)$/),
      total_snapshots: 4,
      total_worktrees: 3,
    });
  });

  it('info honours JVS_ENGINE and warns about unknown values', async () => {
    const root = join(tmp, 'envs');
    await Repository.init(root);
    const warnings: string[] = [];
    const repo = Repository.openAt(root, { env: { JVS_ENGINE: 'bogus', JVS_SNAPSHOT_ENGINE: 'reflink-copy' }, onWarning: (w) => warnings.push(w) });
    expect((await repo.info()).snapshot_engine).toBe('reflink-copy');
    expect(warnings).toEqual(['ignoring JVS_ENGINE=bogus']);
  });
});
