import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { verifyChain } from '../../src/formats/audit.js';
import { checksumValid, readDescriptor } from '../../src/formats/descriptor.js';
import { readWorktreeConfig } from '../../src/formats/worktree-config.js';
import { loadManifest } from '../../src/manifest/store.js';
import { getCore } from '../../src/native/index.js';
import { SNAPSHOT_STEPS } from '../../src/snapshot/create.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { freshRepo, tempDir, writeTree } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('snap');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
const next = (): string => `r${n++}`;

async function leftovers(root: string): Promise<{ snapshots: string[]; intents: string[]; descriptors: string[] }> {
  return {
    snapshots: (await readdir(join(root, '.jvs/snapshots'))).sort(),
    intents: await readdir(join(root, '.jvs/intents')),
    descriptors: await readdir(join(root, '.jvs/descriptors')),
  };
}

describe('snapshot (§2.3, §3.4)', () => {
  it('publishes a complete, verifiable snapshot and moves the head', async () => {
    const { repo, root } = await freshRepo(tmp, next());
    await writeTree(join(root, 'main'), { 'a.txt': 'hello', 'sub/b.txt': 'x', 'run.sh': { mode: 0o755, data: '#!/bin/sh' }, link: { link: 'a.txt' } });
    const d = await repo.snapshot({ worktree: 'main', note: 'first', tags: ['v1'] });
    expect(d).toMatchObject({ worktree_name: 'main', note: 'first', tags: ['v1'], engine: expect.any(String), integrity_state: 'verified' });
    expect(d.snapshot_id).toMatch(/^\d{13}-[0-9a-f]{8}$/);
    expect(d.parent_id).toBeUndefined();
    const onDisk = await readDescriptor(join(root, '.jvs/descriptors', `${d.snapshot_id}.json`));
    expect(checksumValid(onDisk)).toBe(true);
    const snapDir = join(root, '.jvs/snapshots', d.snapshot_id);
    expect(JSON.parse(await readFile(join(snapDir, '.READY'), 'utf8'))).toMatchObject({ snapshot_id: d.snapshot_id, payload_root_hash: d.payload_root_hash });
    expect((await getCore().hashTree(snapDir)).rootHash).toBe(d.payload_root_hash);
    expect((await getCore().hashTree(join(root, 'main'))).rootHash).toBe(d.payload_root_hash);
    expect(await loadManifest(repo.layout, d.snapshot_id, d.payload_root_hash)).toBeDefined();
    const cfg = await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'));
    expect(cfg).toMatchObject({ head_snapshot_id: d.snapshot_id, latest_snapshot_id: d.snapshot_id });
    expect(await leftovers(root)).toEqual({ snapshots: [d.snapshot_id], intents: [], descriptors: [`${d.snapshot_id}.json`] });
    const audit = await verifyChain(join(root, '.jvs/audit/audit.jsonl'));
    expect(audit).toEqual({ malformed: [], records: 2 });

    const second = await repo.snapshot({ worktree: 'main' });
    expect(second.parent_id).toBe(d.snapshot_id);
    expect(second.payload_root_hash).toBe(d.payload_root_hash);
    expect(second.note).toBeUndefined();
  });

  it('snapshots an empty worktree', async () => {
    const { repo } = await freshRepo(tmp, next());
    const d = await repo.snapshot({ worktree: 'main' });
    expect(d.payload_root_hash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('never copies the root .READY a v8.2 restore left in the worktree', async () => {
    const { repo, root } = await freshRepo(tmp, next());
    await writeTree(join(root, 'main'), { '.READY': '{}', 'f': 'x', 'deep/.READY': 'kept but not hashed' });
    const d = await repo.snapshot({ worktree: 'main' });
    const snap = join(root, '.jvs/snapshots', d.snapshot_id);
    expect(JSON.parse(await readFile(join(snap, '.READY'), 'utf8')).snapshot_id).toBe(d.snapshot_id);
    expect(existsSync(join(snap, 'deep/.READY'))).toBe(true);
  });

  it('continues the lineage of the v8.2 fixture and its audit chain', async () => {
    const root = extractFixture(await tempDir('fx'));
    const repo = Repository.openAt(root, { env: {} });
    await writeFile(join(root, 'worktrees/feature/more.txt'), 'more');
    const d = await repo.snapshot({ worktree: 'feature', note: 'ours' });
    expect(d.parent_id).toBe(FIXTURE_IDS.feature);
    const chain = await verifyChain(join(root, '.jvs/audit/audit.jsonl'));
    expect(chain).toEqual({ malformed: [], records: 6 });
  });

  it('refuses a detached worktree with guidance, changing nothing', async () => {
    const root = extractFixture(await tempDir('fx'));
    const repo = Repository.openAt(root, { env: {} });
    const before = await leftovers(root);
    const err = await repo.snapshot({ worktree: 'main' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DETACHED', message: 'cannot create snapshot in detached state', hint: 'jvs worktree fork 17952634 <new-worktree-name> | jvs restore HEAD' });
    expect((err as { stdout: string }).stdout).toContain(`You are currently at snapshot '${FIXTURE_IDS.first}' (historical).`);
    expect(await leftovers(root)).toEqual(before);
  });

  it('rejects special files before writing anything', async () => {
    const { repo, root } = await freshRepo(tmp, next());
    await writeTree(join(root, 'main'), { f: 'x' });
    execFileSync('mkfifo', [join(root, 'main', 'pipe')]);
    await expect(repo.snapshot({ worktree: 'main' })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_FILE',
      message: 'create snapshot: E_UNSUPPORTED_FILE: unsupported file type (fifo): pipe',
    });
    expect(await leftovers(root)).toEqual({ snapshots: [], intents: [], descriptors: [] });
  });

  it('validates tags', async () => {
    const { repo } = await freshRepo(tmp, next());
    await expect(repo.snapshot({ worktree: 'main', tags: ['ok', 'bad tag'] })).rejects.toMatchObject({
      code: 'E_NAME_INVALID',
      message: 'invalid tag "bad tag": E_NAME_INVALID: tag must match [a-zA-Z0-9._-]+: bad tag',
    });
    await expect(repo.snapshot({ worktree: 'main', tags: [''] })).rejects.toMatchObject({ message: 'invalid tag "": E_NAME_INVALID: tag must not be empty' });
  });

  it('applies config.yaml: default tags appended once, default_engine, invalid config refused', async () => {
    const { repo, root } = await freshRepo(tmp, next());
    await writeFile(join(root, '.jvs/config.yaml'), 'default_engine: copy\ndefault_tags:\n    - auto\n    - v1\n');
    const d = await repo.snapshot({ worktree: 'main', tags: ['v1', 'mine'] });
    expect(d.tags).toEqual(['v1', 'mine', 'auto']);
    expect(d.engine).toBe('copy');
    await writeFile(join(root, '.jvs/config.yaml'), 'progress_enabled: maybe\n');
    await expect(repo.snapshot({ worktree: 'main' })).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/^load config: /) });
  });

  it('partial snapshots take only the given paths, with their parents', async () => {
    const { repo, root } = await freshRepo(tmp, next());
    await writeTree(join(root, 'main'), { 'a/b/c.txt': 'c', 'a/other': 'o', 'top.txt': 't' });
    const d = await repo.snapshot({ worktree: 'main', paths: ['a/b/c.txt', './top.txt', 'top.txt'] });
    expect(d.partial_paths).toEqual(['a/b/c.txt', 'top.txt']);
    const ls = (await getCore().walk(join(root, '.jvs/snapshots', d.snapshot_id))).map((e) => e.path.toString());
    expect(ls.sort()).toEqual(['.READY', 'a', 'a/b', 'a/b/c.txt', 'top.txt']);
  });

  it.each([
    ['/etc', 'E_PATH_ESCAPE', 'create snapshot: E_PATH_ESCAPE: path must be relative: /etc'],
    ['a/../../x', 'E_PATH_ESCAPE', "create snapshot: E_PATH_ESCAPE: path cannot contain '..': a/../../x"],
    ['missing', 'E_NOT_FOUND', 'create snapshot: path does not exist: missing'],
    ['out/x', 'E_PATH_ESCAPE', 'create snapshot: E_PATH_ESCAPE: path is outside worktree: out/x'],
  ])('rejects partial path %s', async (p, code, message) => {
    const { repo, root } = await freshRepo(tmp, next());
    // `out` leads to a directory outside the worktree that does hold an `x`.
    await writeTree(root, { 'outside/x': 'x' });
    await writeTree(join(root, 'main'), { f: 'x', out: { link: join(root, 'outside') } });
    await expect(repo.snapshot({ worktree: 'main', paths: [p] })).rejects.toMatchObject({ code, message });
    expect((await leftovers(root)).snapshots).toEqual([]);
  });
});

describe('a crash at any step of the publication protocol', () => {
  const repoRoot = join(import.meta.dirname, '..', '..');

  it.each(SNAPSHOT_STEPS)('%s leaves no partial snapshot visible and the worktree untouched', async (step) => {
    const { root } = await freshRepo(tmp, next());
    await writeTree(join(root, 'main'), { 'a.txt': 'a', 'd/b.txt': 'b' });
    const before = (await getCore().hashTree(join(root, 'main'))).rootHash;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `import { Repository } from './src/index.ts'; await Repository.openAt(process.argv[1]).snapshot({ worktree: 'main' });`, root],
      { cwd: repoRoot, env: { ...process.env, JVS_CRASH_AT: step }, encoding: 'utf8' },
    );
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect((await getCore().hashTree(join(root, 'main'))).rootHash).toBe(before);
    const { snapshots, intents, descriptors } = await leftovers(root);
    const published = snapshots.filter((s) => !s.endsWith('.tmp'));
    const cfg = await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'));
    // Every published directory is complete: descriptor with a valid checksum and READY.
    for (const id of published) {
      expect(checksumValid(await readDescriptor(join(root, '.jvs/descriptors', `${id}.json`)))).toBe(true);
      expect(existsSync(join(root, '.jvs/snapshots', id, '.READY'))).toBe(true);
    }
    const index = SNAPSHOT_STEPS.indexOf(step);
    const publishedStep = SNAPSHOT_STEPS.indexOf('snapshot:published');
    expect(published.length).toBe(index >= publishedStep ? 1 : 0);
    // The intent stays until the very end, so doctor can always explain the leftovers.
    expect(intents).toHaveLength(1);
    expect(cfg.head_snapshot_id).toBe(index >= SNAPSHOT_STEPS.indexOf('snapshot:head') ? published[0] : undefined);
    if (index < SNAPSHOT_STEPS.indexOf('snapshot:descriptor')) expect(descriptors).toEqual([]);
  });
});
