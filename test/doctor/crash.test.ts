/**
 * DESIGN "Safety rules": stopped at any named step of snapshot or restore, the repository is
 * left with leftovers that doctor reports (none of them critical), that `--repair-runtime`
 * (plus `advance_head` where §3.4 says so) clears completely, after which a second run has
 * nothing to do; the worktree holds the old or the new content and everything verifies.
 */
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { doctor } from '../../src/doctor/index.js';
import { readWorktreeConfig } from '../../src/formats/worktree-config.js';
import { Repository } from '../../src/index.js';
import { resultFailed, verifyAll } from '../../src/integrity/index.js';
import { getCore } from '../../src/native/index.js';
import { RESTORE_STEPS } from '../../src/restore/restore.js';
import { SNAPSHOT_STEPS } from '../../src/snapshot/create.js';
import { loadStatCache } from '../../src/statcache/cache.js';
import { tempDir, writeTree } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('doctor-crash');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

const repoRoot = join(import.meta.dirname, '..', '..');
const hashOf = async (dir: string): Promise<string> => (await getCore().hashTree(dir)).rootHash;

/** Runs `call` (a method call on the opened repository) in a child that dies at `step`. */
function crashAt(step: string, root: string, call: string, arg = ''): void {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', `import { Repository } from './src/index.ts'; const repo = Repository.openAt(process.argv[1], { env: {} }); await repo.${call};`, root, arg],
    { cwd: repoRoot, env: { ...process.env, JVS_CRASH_AT: step }, encoding: 'utf8' },
  );
  expect(r.signal, r.stderr).toBe('SIGKILL');
}

/** Repairs, then checks that everything is clean, verifies, and that a second run does nothing. */
async function repairAndCheck(repo: Repository, extra: string[]): Promise<void> {
  const repaired = await doctor(repo, { strict: true, repairRuntime: true, repair: extra });
  expect(repaired.repairs?.every((r) => r.success)).toBe(true);
  expect(repaired.findings).toBeNull();
  expect(repaired.healthy).toBe(true);
  const again = await doctor(repo, { strict: true, repairRuntime: true });
  expect(again.findings).toBeNull();
  expect(again.repairs?.map((r) => r.cleaned)).toEqual([undefined, undefined, undefined, undefined]);
  const verified = await verifyAll(repo);
  expect(verified.results?.some(resultFailed)).toBe(false);
  expect(verified.lineage).toEqual([]);
  expect(verified.audit).toBeUndefined();
}

const categories = (findings: { category: string; severity: string }[] | null): string[] => (findings ?? []).map((f) => `${f.severity} ${f.category}`);

describe('doctor after a crash in snapshot', () => {
  const expected: Record<(typeof SNAPSHOT_STEPS)[number], string[]> = {
    'snapshot:intent': ['warning intent', 'warning lock'],
    'snapshot:materialized': ['warning intent', 'warning lock', 'warning tmp'],
    // From here on the new stat cache is being written beside the old (a `.jvs-tmp-` file,
    // put in place after the head moves): a crash leaves it behind.
    'snapshot:synced': ['warning intent', 'warning lock', 'info tmp', 'warning tmp'],
    'snapshot:hashed': ['warning intent', 'warning lock', 'info tmp', 'warning tmp'],
    'snapshot:descriptor': ['warning intent', 'warning lock', 'info tmp', 'warning tmp'],
    'snapshot:published': ['warning worktree', 'warning intent', 'warning lock', 'info tmp'],
    'snapshot:head': ['warning intent', 'warning lock', 'info tmp'],
  };

  it.each(SNAPSHOT_STEPS)('%s: leftovers reported, repaired, gone', async (step) => {
    const root = join(tmp, `s${n++}`);
    const { repository: repo } = await Repository.init(root, { env: {} });
    const main = join(root, 'main');
    await writeTree(main, { 'a.txt': 'old', 'd/b.txt': 'b' });
    const v1 = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    await writeFile(join(main, 'a.txt'), 'new');
    const content = await hashOf(main);

    crashAt(step, root, "snapshot({ worktree: 'main' })");
    // The new stat cache is put in place only after the head moved: the old one stays.
    expect((await loadStatCache(repo.layout, 'main'))?.base).toBe(v1);
    const found = await doctor(repo, { strict: true });
    expect(categories(found.findings)).toEqual(expected[step]);
    expect(found.healthy).toBe(true);

    const published = step === 'snapshot:published';
    await repairAndCheck(repo, published ? ['advance_head'] : []);
    expect(await hashOf(main)).toBe(content);
    const cfg = await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'));
    const moved = SNAPSHOT_STEPS.indexOf(step) >= SNAPSHOT_STEPS.indexOf('snapshot:published');
    expect(cfg.head_snapshot_id === v1).toBe(!moved);
    expect(cfg.head_snapshot_id).toBe(cfg.latest_snapshot_id);
    // The repaired repository keeps working: the next snapshot continues the lineage.
    await writeFile(join(main, 'a.txt'), 'newer');
    const next = await repo.snapshot({ worktree: 'main' });
    expect(next.parent_id).toBe(cfg.head_snapshot_id);
  });
});

describe('doctor after a crash in restore', () => {
  it.each(RESTORE_STEPS)('%s: resume_restore completes it; the safety snapshot is no orphan', async (step) => {
    const root = join(tmp, `r${n++}`);
    const { repository: repo } = await Repository.init(root, { env: {} });
    const main = join(root, 'main');
    await writeTree(main, { 'a.txt': 'one', 'sub/b.txt': 'b', link: { link: 'a.txt' } });
    const v1 = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    await writeTree(main, { 'a.txt': 'two', 'new/n.txt': 'n' });
    await rm(join(main, 'sub'), { recursive: true });
    await repo.snapshot({ worktree: 'main' });
    await writeFile(join(main, 'a.txt'), 'unsaved work');

    crashAt(step, root, 'restore({ worktree: "main", ref: process.argv[2] })', v1);
    const found = await doctor(repo, { strict: true });
    expect(categories(found.findings)).toEqual(['warning restore', 'warning lock']);
    expect(found.findings?.[0]?.description).toBe(`interrupted restore of worktree 'main' to ${v1}`);

    await repairAndCheck(repo, []);
    expect(await hashOf(main)).toBe(await hashOf(join(root, '.jvs/snapshots', v1)));
    expect((await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'))).head_snapshot_id).toBe(v1);
  });
});

it('a crash while a restore saves unsnapshotted work leaves the safety snapshot alone', async () => {
  const root = join(tmp, `x${n++}`);
  const { repository: repo } = await Repository.init(root, { env: {} });
  const main = join(root, 'main');
  await writeTree(main, { 'a.txt': 'one' });
  const v1 = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
  await writeFile(join(main, 'a.txt'), 'unsaved work');
  const content = await hashOf(main);

  crashAt('snapshot:published', root, 'restore({ worktree: "main", ref: process.argv[2] })', v1);
  const found = await doctor(repo, { strict: true });
  // Published but referenced by no worktree, yet a safety snapshot: never a head to advance to.
  // Its stat cache was still being written beside the worktree's (`info tmp`).
  expect(categories(found.findings)).toEqual(['warning intent', 'warning lock', 'info tmp']);
  await repairAndCheck(repo, []);
  expect(await hashOf(main)).toBe(content);
});
