import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { formatTimestamp, nowTimestamp, parseTimestamp } from '../../src/encoding/timestamp.js';
import { readDescriptor } from '../../src/formats/descriptor.js';
import { readGcPlan, writeGcPlan, type GcPlan } from '../../src/formats/gc-plan.js';
import { writeIntent } from '../../src/formats/markers.js';
import { addPin } from '../../src/formats/pin.js';
import { parseTombstone } from '../../src/formats/tombstone.js';
import { GC_RUN_STEPS, gcPlan, gcRun, gcRunPreflight, unfinishedRuns, type GcProgress } from '../../src/gc/index.js';
import { pathExists } from '../../src/fs/exists.js';
import { listSnapshots } from '../../src/repo/catalog.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { tempDir, writeTree } from '../support/repo.js';
import { auditEvents, chain, entries, pointMainAt, type Chain } from './support.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('gcrun');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;
const next = (): string => `r${n++}`;
const HOUR = 3_600_000_000_000n;

/** Four snapshots in main, head moved back to the first: the other three are garbage. */
async function garbage(): Promise<Chain & { plan: GcPlan }> {
  const c = await chain(tmp, next(), 4);
  await pointMainAt(c.repo, c.ids[0]);
  const plan = await gcPlan(c.repo, { keepWithin: 0n });
  expect(plan.to_delete).toEqual(c.ids.slice(1));
  return { ...c, plan };
}

/** Everything a finished run leaves: ids gone with tombstones, no trash, no run state, no plan. */
async function expectDeleted(c: Chain, planId: string, deleted: readonly string[]): Promise<void> {
  const layout = c.repo.layout;
  for (const id of deleted) {
    expect(await pathExists(layout.snapshotDir(id)), id).toBe(false);
    expect(await pathExists(layout.descriptor(id))).toBe(false);
    expect(await pathExists(layout.meta(id))).toBe(false);
    expect(await pathExists(join(layout.manifestsDir, 'snapshots', id))).toBe(false);
    const t = parseTombstone(await readFile(layout.tombstone(id), 'utf8'));
    expect(t).toMatchObject({ snapshot_id: id, reclaimable: true });
    expect(parseTimestamp(t.deleted_at)).toBeDefined();
  }
  expect(await entries(join(layout.ext, 'gc/trash'))).toEqual([]);
  expect(await pathExists(layout.gcPlan(planId))).toBe(false);
  expect(await pathExists(layout.gcExtras(planId))).toBe(false);
  expect(await pathExists(layout.gcRunState(planId))).toBe(false);
  expect(await unfinishedRuns(layout)).toEqual([]);
}

describe('gc run', () => {
  it('deletes the plan in two phases, reports progress, audits gc_run', async () => {
    const c = await garbage();
    const progress: GcProgress[] = [];
    const r = await gcRun(c.repo, c.plan.plan_id, { onProgress: (p) => progress.push(p) });
    expect(r).toEqual({ plan_id: c.plan.plan_id, deleted_count: 3, failed: [], resumed: false });
    expect(progress).toEqual(c.ids.slice(1).map((id, i) => ({ current: i + 1, total: 3, snapshot_id: id })));
    await expectDeleted(c, c.plan.plan_id, c.ids.slice(1));
    expect(await pathExists(c.repo.layout.snapshotDir(c.ids[0]!))).toBe(true);
    expect((await listSnapshots(c.repo.layout)).snapshots.map((d) => d.snapshot_id)).toEqual([c.ids[0]]);
    expect((await auditEvents(c.root, 'gc_run')).map((e) => e.details)).toEqual([{ deleted_count: 3, plan_id: c.plan.plan_id }]);
    expect(c.warnings).toEqual([]);
    // The repository goes on: the surviving head restores and snapshots again.
    await c.repo.restore({ worktree: 'main', ref: c.ids[0]! });
    await c.repo.snapshot({ worktree: 'main', note: 'after gc' });
  });

  it('deletes snapshots holding read-only directories', async () => {
    const c = await chain(tmp, next(), 1);
    await writeTree(join(c.root, 'main'), { 'ro/inner/f.txt': 'x', 'ro/g.txt': 'y' });
    await chmod(join(c.root, 'main/ro/inner'), 0o555);
    await chmod(join(c.root, 'main/ro'), 0o500);
    const id = (await c.repo.snapshot({ worktree: 'main' })).snapshot_id;
    await chmod(join(c.root, 'main/ro'), 0o755);
    await chmod(join(c.root, 'main/ro/inner'), 0o755);
    await pointMainAt(c.repo, c.ids[0]);
    const plan = await gcPlan(c.repo, { keepWithin: 0n });
    expect(plan.to_delete).toEqual([id]);
    expect((await gcRun(c.repo, plan.plan_id)).deleted_count).toBe(1);
    await expectDeleted(c, plan.plan_id, [id]);
  });

  it('deletes intent-less tmp directories and directories without descriptor (no tombstone for a tmp)', async () => {
    const c = await chain(tmp, next(), 1);
    const orphan = '1700000000000-deadbeef';
    await mkdir(join(c.root, '.jvs/snapshots', orphan));
    await mkdir(join(c.root, '.jvs/snapshots/1700000000001-00000bad.tmp/x'), { recursive: true });
    const plan = await gcPlan(c.repo, { keepWithin: 0n });
    expect(plan.to_delete).toEqual([orphan, '1700000000001-00000bad.tmp']);
    expect((await gcRun(c.repo, plan.plan_id)).deleted_count).toBe(2);
    await expectDeleted(c, plan.plan_id, [orphan]);
    expect(await entries(join(c.root, '.jvs/snapshots'))).toEqual([c.ids[0]]);
    expect(await entries(join(c.root, '.jvs/gc/tombstones'))).toEqual([`${orphan}.json`]);
  });

  it('skips ids already gone, warns about an id that fails and goes on', async () => {
    const c = await garbage();
    const [, gone, failing, ok] = c.ids as [string, string, string, string];
    await rm(c.repo.layout.snapshotDir(gone), { recursive: true });
    await unlink(c.repo.layout.descriptor(failing));
    await mkdir(join(c.repo.layout.descriptor(failing), 'x'), { recursive: true });
    const r = await gcRun(c.repo, c.plan.plan_id);
    expect(r).toMatchObject({ deleted_count: 1, failed: [failing] });
    expect(c.warnings).toEqual([expect.stringMatching(new RegExp(`^gc: failed to delete ${failing}: EISDIR`))]);
    expect(await pathExists(c.repo.layout.snapshotDir(ok))).toBe(false);
    expect(await pathExists(c.repo.layout.tombstone(gone))).toBe(false);
    expect(await pathExists(c.repo.layout.tombstone(ok))).toBe(true);
    expect((await auditEvents(c.root, 'gc_run')).map((e) => e.details)).toEqual([{ deleted_count: 1, plan_id: c.plan.plan_id }]);
  });

  it('never deletes a snapshot created while it runs', async () => {
    const c = await garbage();
    const [run, snap] = await Promise.all([gcRun(c.repo, c.plan.plan_id), c.repo.snapshot({ worktree: 'main', note: 'concurrent' })]);
    expect(run.deleted_count).toBe(3);
    expect(await pathExists(c.repo.layout.snapshotDir(snap.snapshot_id))).toBe(true);
    expect((await readDescriptor(c.repo.layout.descriptor(snap.snapshot_id))).note).toBe('concurrent');
    // And a plan made now protects it as main's head.
    expect((await gcPlan(c.repo, { keepWithin: 0n })).to_delete).toEqual([]);
  });
});

describe('gc run refuses a plan that does not apply', () => {
  it('missing plan, invalid plan id', async () => {
    const c = await chain(tmp, next(), 1);
    const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
    const missing = `load plan: open ${c.root}/.jvs/gc/${id}.json: no such file or directory`;
    await expect(gcRun(c.repo, id)).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: `run gc: ${missing}` });
    await expect(gcRunPreflight(c.repo, id)).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: missing });
    for (const bad of ['../x', 'a/b', '.', '..']) {
      await expect(gcRun(c.repo, bad)).rejects.toMatchObject({ code: 'E_PATH_ESCAPE', message: `run gc: E_PATH_ESCAPE: invalid plan id: ${bad}` });
      await expect(gcRunPreflight(c.repo, bad)).rejects.toMatchObject({ code: 'E_PATH_ESCAPE', message: `run gc: E_PATH_ESCAPE: invalid plan id: ${bad}` });
    }
  });

  it('an id that became protected: pin, head, intent, journal — nothing is deleted', async () => {
    const c = await garbage();
    const layout = c.repo.layout;
    const mismatch = (id: string): object => ({ code: 'E_GC_PLAN_MISMATCH', message: `run gc: E_GC_PLAN_MISMATCH: plan mismatch: ${id} is now protected` });
    // An expired pin protects nothing.
    await addPin(layout, c.ids[3]!, { expiresIn: -1n });
    await addPin(layout, c.ids[2]!);
    await expect(gcRun(c.repo, c.plan.plan_id)).rejects.toMatchObject(mismatch(c.ids[1]!)); // ancestor of the pin
    await rm(layout.pinsDir, { recursive: true });
    await pointMainAt(c.repo, c.ids[3]);
    await expect(gcRun(c.repo, c.plan.plan_id)).rejects.toMatchObject(mismatch(c.ids[1]!));
    await pointMainAt(c.repo, c.ids[0]);
    await writeIntent(layout.intent(c.ids[3]!), { snapshot_id: c.ids[3]!, worktree_name: 'main', started_at: nowTimestamp(), engine: 'copy' });
    await expect(gcRun(c.repo, c.plan.plan_id)).rejects.toMatchObject(mismatch(c.ids[1]!)); // its ancestors too
    await unlink(layout.intent(c.ids[3]!));
    await mkdir(join(layout.ext, 'restore'), { recursive: true });
    await writeFile(layout.restoreJournal('main'), JSON.stringify({ worktree: 'main', snapshot_id: c.ids[0], safety_snapshot_id: c.ids[2] }));
    await expect(gcRun(c.repo, c.plan.plan_id)).rejects.toMatchObject(mismatch(c.ids[1]!));
    for (const id of c.ids) expect(await pathExists(layout.snapshotDir(id))).toBe(true);
    expect(await pathExists(layout.gcRunState(c.plan.plan_id))).toBe(false);
    await unlink(layout.restoreJournal('main'));
    expect((await gcRun(c.repo, c.plan.plan_id)).deleted_count).toBe(3);
  });

  it('an expired plan, judged by its extras, or by created_at + 1 h without them', async () => {
    const c = await garbage();
    const layout = c.repo.layout;
    const old = parseTimestamp(c.plan.created_at)!.ns - 2n * HOUR;
    await writeGcPlan(layout, { ...c.plan, created_at: formatTimestamp(old) }, []);
    const expired = (at: bigint): object => ({
      code: 'E_GC_PLAN_MISMATCH',
      message: `run gc: E_GC_PLAN_MISMATCH: plan ${c.plan.plan_id} expired at ${formatTimestamp(at)}; run jvs gc plan again`,
    });
    await expect(gcRun(c.repo, c.plan.plan_id)).rejects.toMatchObject(expired(old + HOUR));
    await unlink(layout.gcExtras(c.plan.plan_id));
    await expect(gcRun(c.repo, c.plan.plan_id)).rejects.toMatchObject(expired(old + HOUR));
    // Fresh again (a plan of v8.2's shape, without extras): accepted.
    await writeGcPlan(layout, c.plan, []);
    await unlink(layout.gcExtras(c.plan.plan_id));
    expect((await gcRun(c.repo, c.plan.plan_id)).deleted_count).toBe(3);
  });
});

describe("the fixture's v8.2 plan", () => {
  const V82_PLAN = 'a82694ef-ab46-4969-a803-372a321ac725';

  async function fixture(): Promise<Repository> {
    const dir = join(tmp, next());
    await mkdir(dir);
    return Repository.openAt(extractFixture(dir), { env: {} });
  }

  it('is refused once expired (created_at + 1 h)', async () => {
    const repo = await fixture();
    const plan = await readGcPlan(repo.layout, V82_PLAN);
    const at = formatTimestamp(parseTimestamp(plan.created_at)!.ns + HOUR);
    expect(at).toBe('2026-11-21T13:17:00.965831151Z');
    await expect(gcRun(repo, V82_PLAN)).rejects.toMatchObject({
      code: 'E_GC_PLAN_MISMATCH',
      message: `run gc: E_GC_PLAN_MISMATCH: plan ${V82_PLAN} expired at ${at}; run jvs gc plan again`,
    });
    expect(await pathExists(repo.layout.gcPlan(V82_PLAN))).toBe(true);
  });

  it('runs when fresh, as written by v8.2', async () => {
    const repo = await fixture();
    const path = repo.layout.gcPlan(V82_PLAN);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('2026-11-21T12:17:00.965831151Z', nowTimestamp()));
    expect(await gcRun(repo, V82_PLAN)).toEqual({ plan_id: V82_PLAN, deleted_count: 0, failed: [], resumed: false });
    expect(await pathExists(path)).toBe(false);
    for (const id of Object.values(FIXTURE_IDS)) expect(await pathExists(repo.layout.snapshotDir(id))).toBe(true);
    expect((await auditEvents(repo.root, 'gc_run')).map((e) => e.details)).toEqual([{ deleted_count: 0, plan_id: V82_PLAN }]);
  });
});

describe('a crash at any step of gc run', () => {
  const repoRoot = join(import.meta.dirname, '..', '..');
  const script = `import { Repository } from './src/index.ts'; import { gcRun } from './src/gc/index.ts'; await gcRun(Repository.openAt(process.argv[1]), process.argv[2]);`;

  it.each(GC_RUN_STEPS)('%s is resumed by running the same plan again', async (step) => {
    const c = await garbage();
    const layout = c.repo.layout;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, c.root, c.plan.plan_id], {
      cwd: repoRoot,
      env: { ...process.env, JVS_CRASH_AT: step },
      encoding: 'utf8',
    });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    // Readers never see half a snapshot: every listed directory still has its descriptor.
    for (const id of await entries(layout.snapshotsDir)) expect(await pathExists(layout.descriptor(id)), id).toBe(true);
    expect(await unfinishedRuns(layout)).toEqual([c.plan.plan_id]);
    // Resuming skips the expiry check: the plan may be old by now.
    if (await pathExists(layout.gcPlan(c.plan.plan_id))) {
      const stale = parseTimestamp(c.plan.created_at)!.ns - 2n * HOUR;
        await writeGcPlan(layout, { ...c.plan, created_at: formatTimestamp(stale) }, []);
    }

    const resumed = await gcRun(c.repo, c.plan.plan_id);
    expect(resumed).toEqual({ plan_id: c.plan.plan_id, deleted_count: 3, failed: [], resumed: true });
    await expectDeleted(c, c.plan.plan_id, c.ids.slice(1));
    expect(await pathExists(layout.snapshotDir(c.ids[0]!))).toBe(true);
    const runs = await auditEvents(c.root, 'gc_run');
    // Only a crash right after the append repeats it (at least once, never lost).
    expect(runs.length).toBe(step === 'gc:audited' ? 2 : 1);
    for (const e of runs) expect(e.details).toEqual({ deleted_count: 3, plan_id: c.plan.plan_id });
  });
});
