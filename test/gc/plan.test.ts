import { lstat, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { encodeJsonOutput } from '../../src/encoding/json.js';
import { formatTimestamp, nowNs, parseTimestamp } from '../../src/encoding/timestamp.js';
import { gcPlanJson, readGcPlan, readGcPlanExtras, type GcPlan } from '../../src/formats/gc-plan.js';
import { writeIntent } from '../../src/formats/markers.js';
import { addPin } from '../../src/formats/pin.js';
import { gcPlan } from '../../src/gc/index.js';
import { withWorktreeLocks } from '../../src/locks/index.js';
import { getCore } from '../../src/native/index.js';
import { writeJournal } from '../../src/restore/journal.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { freshRepo, tempDir } from '../support/repo.js';
import { auditEvents, chain, pointMainAt } from './support.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('gcplan');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;
const next = (): string => `r${n++}`;

const HOUR = 3_600_000_000_000n;
const noAge = { keepWithin: 0n };

/** What a plan says, without the parts that change from one plan to the next. */
function stable(p: GcPlan): Omit<GcPlan, 'plan_id' | 'created_at'> {
  const { plan_id: _id, created_at: _at, ...rest } = p;
  return rest;
}

async function fixtureRepo(): Promise<{ repo: Repository; root: string; warnings: string[] }> {
  const dir = join(tmp, next());
  await mkdir(dir);
  const root = extractFixture(dir);
  const warnings: string[] = [];
  return { repo: Repository.openAt(root, { onWarning: (w) => warnings.push(w), env: {} }), root, warnings };
}

/** lstat sizes of every non-directory entry, found independently of the code under test. */
async function duBytes(dir: string): Promise<number> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('find', [dir, '-mindepth', '1', '!', '-type', 'd', '-printf', '%s\n'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .reduce((s, l) => s + Number(l), 0);
}

describe('gc plan on the v8.2 fixture', () => {
  it('protects heads, latests and their ancestors; the v8.2 plan file stays untouched', async () => {
    const { repo, root, warnings } = await fixtureRepo();
    const before = await readFile(join(root, '.jvs/gc/a82694ef-ab46-4969-a803-372a321ac725.json'), 'utf8');
    const p = await gcPlan(repo, noAge);
    // main: head first, latest chain (its parent second is lineage); feature: head feature.
    expect(stable(p)).toEqual({
      protected_set: [FIXTURE_IDS.first, FIXTURE_IDS.second, FIXTURE_IDS.feature, FIXTURE_IDS.chain],
      protected_by_pin: 0,
      protected_by_lineage: 1,
      protected_by_retention: 0,
      candidate_count: 0,
      to_delete: [],
      deletable_bytes_estimate: 0,
      retention_policy: { keep_min_snapshots: 0, keep_min_age: 0n },
    });
    expect(warnings).toEqual([]);
    expect(await readFile(join(root, '.jvs/gc/a82694ef-ab46-4969-a803-372a321ac725.json'), 'utf8')).toBe(before);
  });

  it('counts young snapshots under retention by default (24 h), not under lineage', async () => {
    const { repo } = await fixtureRepo();
    const p = await gcPlan(repo);
    expect(p.retention_policy).toEqual({ keep_min_snapshots: 0, keep_min_age: 24n * HOUR });
    // The fixture is younger than a day only while the clock is near its creation; either way
    // `second` is counted once, under retention or lineage.
    expect(p.protected_by_retention + p.protected_by_lineage).toBe(1);
    expect(p.to_delete).toEqual([]);
  });

  it('plans to delete the snapshot of a removed worktree, with its real size', async () => {
    const { repo, root } = await fixtureRepo();
    await rm(join(root, '.jvs/worktrees/feature'), { recursive: true });
    const p = await gcPlan(repo, noAge);
    expect(p.to_delete).toEqual([FIXTURE_IDS.feature]);
    expect(p.candidate_count).toBe(1);
    expect(p.protected_set).toEqual([FIXTURE_IDS.first, FIXTURE_IDS.second, FIXTURE_IDS.chain]);
    const descriptor = (await lstat(join(root, '.jvs/descriptors', `${FIXTURE_IDS.feature}.json`))).size;
    const expected = (await duBytes(join(root, '.jvs/snapshots', FIXTURE_IDS.feature))) + descriptor;
    expect(p.deletable_bytes_estimate).toBe(expected);
    expect(p.deletable_bytes_estimate).toBeGreaterThan(100_000); // data/blob.bin
  });
});

describe('gc plan output and files', () => {
  it('writes the plan and its extras, and audits gc_plan', async () => {
    const c = await chain(tmp, next(), 3);
    await pointMainAt(c.repo, c.ids[0]);
    const p = await gcPlan(c.repo, { ...noAge, keepTags: ['keep-me'] });
    expect(p.to_delete).toEqual([...c.ids.slice(1)].sort());
    expect(p.plan_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const text = await readFile(join(c.root, '.jvs/gc', `${p.plan_id}.json`), 'utf8');
    expect(text).toBe(encodeJsonOutput(gcPlanJson(p)).replace(/\n$/, ''));
    expect(await readGcPlan(c.repo.layout, p.plan_id)).toEqual(p);
    const extras = await readGcPlanExtras(c.repo.layout, p.plan_id);
    expect(extras).toEqual({ keep_tags: ['keep-me'], expires_at: formatTimestamp(parseTimestamp(p.created_at)!.ns + HOUR) });
    expect(await auditEvents(c.root, 'gc_plan')).toEqual([
      expect.objectContaining({
        details: { candidate_count: 2, deletable_bytes_estimate: p.deletable_bytes_estimate, plan_id: p.plan_id },
      }),
    ]);
  });

  it('on an empty repository: nothing to delete, null lists in JSON', async () => {
    const { repo } = await freshRepo(tmp, next());
    const p = await gcPlan(repo);
    expect(p.candidate_count).toBe(0);
    const json = encodeJsonOutput(gcPlanJson(p));
    expect(json).toContain('"protected_set": null,');
    expect(json).toContain('"to_delete": null,');
    expect(json).toContain('"candidate_count": 0,');
  });

  it('is deterministic for a repository state', async () => {
    const c = await chain(tmp, next(), 4);
    await pointMainAt(c.repo, c.ids[1]);
    await addPin(c.repo.layout, c.ids[3]!);
    const a = await gcPlan(c.repo, noAge);
    const b = await gcPlan(c.repo, noAge);
    expect(a.plan_id).not.toBe(b.plan_id);
    expect(stable(b)).toEqual(stable(a));
    expect(a.to_delete).toEqual([]); // 3 pinned, 2 its parent
    expect(a.protected_by_pin).toBe(1);
    expect(a.protected_by_lineage).toBe(2); // ids[2] and ids[0]
  });

  it('warns about directories without a loadable descriptor and keeps them deletable', async () => {
    const c = await chain(tmp, next(), 1);
    const orphan = '1700000000000-deadbeef';
    const corrupt = '1700000000001-cafebabe';
    await mkdir(join(c.root, '.jvs/snapshots', orphan, 'sub'), { recursive: true });
    await writeFile(join(c.root, '.jvs/snapshots', orphan, 'sub', 'x'), '12345');
    await mkdir(join(c.root, '.jvs/snapshots', corrupt));
    await writeFile(join(c.root, '.jvs/descriptors', `${corrupt}.json`), '{not json');
    const p = await gcPlan(c.repo, noAge);
    expect(p.to_delete).toEqual([orphan, corrupt].sort());
    expect(p.deletable_bytes_estimate).toBe(5 + 9);
    expect(c.warnings).toEqual([
      expect.stringMatching(new RegExp(`^gc: skipping descriptor ${orphan}: open .*/descriptors/${orphan}\\.json: no such file or directory$`)),
      expect.stringMatching(new RegExp(`^gc: skipping descriptor ${corrupt}: E_DESCRIPTOR_CORRUPT: parse descriptor: `)),
    ]);
  });
});

describe('what gc plan protects (§7)', () => {
  it('roots: head and latest of every loadable worktree, and their ancestors', async () => {
    const c = await chain(tmp, next(), 4);
    // Detached: head = ids[1], latest = ids[3].
    await c.repo.restore({ worktree: 'main', ref: c.ids[1]! });
    const p = await gcPlan(c.repo, noAge);
    expect(p.to_delete).toEqual([]);
    expect(p.protected_by_lineage).toBe(2); // ids[0], ids[2]
    // An unloadable config protects nothing.
    await writeFile(c.repo.layout.worktreeConfig('main'), '[]');
    expect((await gcPlan(c.repo, noAge)).to_delete).toEqual([...c.ids].sort());
  });

  it('pins protect until they expire; a pin of a root is not counted', async () => {
    const c = await chain(tmp, next(), 3);
    await pointMainAt(c.repo, c.ids[0]);
    await addPin(c.repo.layout, c.ids[1]!, { expiresIn: HOUR });
    await addPin(c.repo.layout, c.ids[2]!, { expiresIn: -1n });
    await addPin(c.repo.layout, c.ids[0]!);
    await writeFile(join(c.root, '.jvs/pins/broken.json'), '{"snapshot_id": 7}');
    const p = await gcPlan(c.repo, noAge);
    expect(p.to_delete).toEqual([c.ids[2]]);
    expect(p.protected_by_pin).toBe(1);
    expect(p.protected_set).toEqual([c.ids[0], c.ids[1]].sort());
  });

  it('retention: keep-last, keep-within, keep-tag, and the config', async () => {
    const c = await chain(tmp, next(), 4);
    await pointMainAt(c.repo, undefined);
    const all = [...c.ids].sort();
    expect((await gcPlan(c.repo, noAge)).to_delete).toEqual(all);
    // Everything is younger than the default day.
    const young = await gcPlan(c.repo);
    expect([young.to_delete, young.protected_by_retention, young.protected_by_lineage]).toEqual([[], 4, 0]);
    const last = await gcPlan(c.repo, { ...noAge, keepLast: 1 });
    // The newest is retained; its ancestors are lineage.
    expect([last.to_delete, last.protected_by_retention, last.protected_by_lineage]).toEqual([[], 1, 3]);
    const tagged = await gcPlan(c.repo, { ...noAge, keepTags: ['t1'] });
    expect([tagged.to_delete, tagged.protected_by_retention, tagged.protected_by_lineage]).toEqual([[c.ids[2], c.ids[3]].sort(), 1, 1]);
    await writeFile(join(c.root, '.jvs/config.yaml'), 'retention:\n  keep: 2\n  within: 0s\n  keep_tags: [t0]\n');
    const cfg = await gcPlan(c.repo);
    expect(cfg.retention_policy).toEqual({ keep_min_snapshots: 2, keep_min_age: 0n });
    expect([cfg.to_delete, cfg.protected_by_retention, cfg.protected_by_lineage]).toEqual([[], 3, 1]);
    expect(await readGcPlanExtras(c.repo.layout, cfg.plan_id)).toMatchObject({ keep_tags: ['t0'] });
    // Flags win over the config.
    expect((await gcPlan(c.repo, { keepLast: 0, keepTags: [] })).to_delete).toEqual(all);
  });

  it('in flight: intents with their tmp directories, restore journals', async () => {
    const c = await chain(tmp, next(), 4);
    await pointMainAt(c.repo, undefined);
    const building = '1800000000000-0badf00d';
    await writeIntent(c.repo.layout.intent(building), { snapshot_id: building, worktree_name: 'main', started_at: formatTimestamp(nowNs()), engine: 'copy' });
    await mkdir(join(c.root, '.jvs/snapshots', `${building}.tmp`));
    const abandoned = '1800000000001-00000bad';
    await mkdir(join(c.root, '.jvs/snapshots', `${abandoned}.tmp`));
    await writeJournal(c.repo.layout.restoreJournal('main'), {
      worktree: 'main',
      snapshot_id: c.ids[1]!,
      paths: null,
      safety_snapshot_id: c.ids[3]!,
      started_at: formatTimestamp(nowNs()),
    });
    const p = await gcPlan(c.repo, noAge);
    expect(p.to_delete).toEqual([`${abandoned}.tmp`]);
    expect(p.protected_set).toEqual([building, `${building}.tmp`, ...c.ids].sort());
    // In-flight ids are not counted; their ancestors (ids[0], and ids[2] below the safety snapshot) are.
    expect([p.protected_by_pin, p.protected_by_retention, p.protected_by_lineage]).toEqual([0, 0, 2]);
  });

  it('leaves intent-less tmp directories alone while a worktree lock is held', async () => {
    const c = await chain(tmp, next(), 1);
    const tmpDir = '1800000000002-0000abcd.tmp';
    await mkdir(join(c.root, '.jvs/snapshots', tmpDir));
    expect((await gcPlan(c.repo, noAge)).to_delete).toEqual([tmpDir]);
    const p = await withWorktreeLocks(c.repo.layout, ['other'], 'jvs snapshot', () => gcPlan(c.repo, noAge));
    expect(p.to_delete).toEqual([]);
    expect(p.protected_set).toEqual([c.ids[0]]);
  });

  it('counts each id once: pins, then retention, then lineage', async () => {
    const c = await chain(tmp, next(), 4);
    await pointMainAt(c.repo, c.ids[3]);
    await addPin(c.repo.layout, c.ids[2]!); // also an ancestor of the root: pin
    await addPin(c.repo.layout, c.ids[1]!); // also retained by tag: pin
    const p = await gcPlan(c.repo, { ...noAge, keepTags: ['t1', 't0'] }); // t0: retention, though an ancestor
    expect([p.protected_by_pin, p.protected_by_retention, p.protected_by_lineage]).toEqual([2, 1, 0]);
    await unlink(join(c.root, '.jvs/pins', `${c.ids[1]}.json`));
    const q = await gcPlan(c.repo, noAge);
    expect([q.protected_by_pin, q.protected_by_retention, q.protected_by_lineage]).toEqual([1, 0, 2]);
  });

  it('estimates every non-directory entry (symlinks by their own size) plus the descriptor', async () => {
    const c = await chain(tmp, next(), 2);
    await pointMainAt(c.repo, c.ids[0]);
    const id = c.ids[1]!;
    const dir = join(c.root, '.jvs/snapshots', id);
    const p = await gcPlan(c.repo, noAge);
    const walked = (await getCore().walk(dir)).filter((e) => e.kind !== 'dir').reduce((s, e) => s + e.size, 0);
    expect(p.deletable_bytes_estimate).toBe(walked + (await lstat(join(c.root, '.jvs/descriptors', `${id}.json`))).size);
    expect(p.deletable_bytes_estimate).toBe((await duBytes(dir)) + (await lstat(join(c.root, '.jvs/descriptors', `${id}.json`))).size);
  });
});
