import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { listSnapshots } from '../../src/repo/catalog.js';
import { fuzzyOne, notFoundBlock, ranked, resolveExactOrFuzzy, resolveForDiff } from '../../src/repo/refs.js';
import { extractFixture, FIXTURE_IDS as ID } from '../support/fixture.js';
import { setTimeNs } from '../native/fixtures.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
let root: string;
let repo: Repository;
beforeAll(async () => {
  tmp = await tempDir('refs');
  root = extractFixture(tmp);
  repo = Repository.openAt(root, { env: {} });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const ids = (ds: { snapshot_id: string }[]): string[] => ds.map((d) => d.snapshot_id);

describe('catalog and refs (§5.1)', () => {
  it('lists newest first', async () => {
    expect(ids((await listSnapshots(repo.layout)).snapshots)).toEqual([ID.chain, ID.feature, ID.second, ID.first]);
  });

  it('fuzzy-one matches note prefixes, tags and id prefixes; reports ambiguity newest first', async () => {
    const { snapshots } = await listSnapshots(repo.layout);
    expect(fuzzyOne(snapshots, 'first').snapshot_id).toBe(ID.first);
    expect(fuzzyOne(snapshots, 'chain').snapshot_id).toBe(ID.chain);
    expect(fuzzyOne(snapshots, 'feat').snapshot_id).toBe(ID.feature);
    expect(() => fuzzyOne(snapshots, 'v')).toThrow(`ambiguous query "v" matches multiple snapshots: ${ID.second}, ${ID.first}`);
    expect(() => fuzzyOne(snapshots, 'nope')).toThrow('no snapshot found matching "nope"');
  });

  it('ranks suggestions and draws the not-found block', async () => {
    const { snapshots } = await listSnapshots(repo.layout);
    expect(ranked(snapshots, 'v2', 3).map((r) => [r.descriptor.snapshot_id, r.score])).toEqual([[ID.second, 800]]);
    expect(ranked(snapshots, 'HEAD', 3)).toEqual([]);
    const one = notFoundBlock('fist note', snapshots);
    expect(one).toMatchObject({ code: 'E_NOT_FOUND', shape: 'block', message: "snapshot 'fist note' not found" });
    expect(notFoundBlock('zzz', snapshots).blockLines).toEqual(['  Run jvs history to see available snapshots.']);
    expect(notFoundBlock('first', snapshots).blockLines).toEqual(['  Did you mean: 17952634 (first note)?']);
    expect(notFoundBlock('v', snapshots).blockLines).toEqual(['  Did you mean one of: 17952634 (second: edited a), 17952634 (first note)?']);
  });

  it('exact-or-fuzzy resolves ids and refuses path-like refs as ids', async () => {
    expect((await resolveExactOrFuzzy(repo.layout, ID.second)).snapshot_id).toBe(ID.second);
    expect((await resolveExactOrFuzzy(repo.layout, 'rel')).snapshot_id).toBe(ID.first);
    await expect(resolveExactOrFuzzy(repo.layout, '../descriptors/x')).rejects.toMatchObject({ code: 'E_NOT_FOUND', shape: 'block' });
    await expect(resolveExactOrFuzzy(repo.layout, 'v')).rejects.toMatchObject({ code: 'E_AMBIGUOUS_REF', shape: 'block' });
  });

  it('the diff resolver: HEAD, newest tag, fuzzy', async () => {
    expect((await resolveForDiff(repo.layout, 'HEAD', { inWorktree: true, headId: ID.first })).snapshot_id).toBe(ID.first);
    await expect(resolveForDiff(repo.layout, 'HEAD', { inWorktree: false })).rejects.toThrow('not inside a worktree');
    await expect(resolveForDiff(repo.layout, 'HEAD', { inWorktree: true })).rejects.toThrow('no snapshots in current worktree');
    expect((await resolveForDiff(repo.layout, 'v1', { inWorktree: false })).snapshot_id).toBe(ID.first);
  });
});

describe('history (§2.4)', () => {
  it('follows the lineage from the head (main is detached at first)', async () => {
    expect(ids(await repo.history({ worktree: 'main' }))).toEqual([ID.first]);
    expect(ids(await repo.history({ worktree: 'feature' }))).toEqual([ID.feature, ID.first]);
    expect(await repo.history({ worktree: 'scratch' })).toEqual([]);
  });

  it('--all lists everything; filters and limits apply', async () => {
    expect(ids(await repo.history({ all: true }))).toEqual([ID.chain, ID.feature, ID.second, ID.first]);
    expect(ids(await repo.history({ all: true, limit: 2 }))).toEqual([ID.chain, ID.feature]);
    expect(ids(await repo.history({ all: true, grep: 'work' }))).toEqual([ID.feature]);
    expect(ids(await repo.history({ all: true, tag: 'v2' }))).toEqual([ID.second]);
    expect(await repo.history({ all: true, limit: -1 })).toEqual([]);
    expect(ids(await repo.history({ worktree: 'feature', limit: 1 }))).toEqual([ID.feature]);
  });

  it('stops silently at a missing descriptor and at a parent cycle', async () => {
    const root2 = extractFixture(await tempDir('cyc'));
    const r2 = Repository.openAt(root2, { env: {} });
    const p = join(root2, '.jvs/descriptors', `${ID.first}.json`);
    const d = JSON.parse(await readFile(p, 'utf8')) as Record<string, unknown>;
    await writeFile(p, JSON.stringify({ ...d, parent_id: ID.feature }));
    expect(ids(await r2.history({ worktree: 'feature' }))).toEqual([ID.feature, ID.first]);
    await rm(p);
    expect(ids(await r2.history({ worktree: 'feature' }))).toEqual([ID.feature]);
  });
});

describe('the catalog cache', () => {
  it('lists a new snapshot at once and survives a deleted or damaged cache', async () => {
    const { repo: r, root: rr } = await freshRepo(tmp, 'cache');
    const a = await r.snapshot({ worktree: 'main', note: 'a' });
    expect(ids((await listSnapshots(r.layout)).snapshots)).toEqual([a.snapshot_id]);
    const b = await r.snapshot({ worktree: 'main', note: 'b' });
    expect(ids((await listSnapshots(r.layout)).snapshots)).toEqual([b.snapshot_id, a.snapshot_id]);
    await writeFile(join(rr, '.jvs/ext/catalog.jsonl'), '{garbage\n{"id":1}\n');
    expect(ids((await listSnapshots(r.layout)).snapshots)).toEqual([b.snapshot_id, a.snapshot_id]);
    await rm(join(rr, '.jvs/ext/catalog.jsonl'));
    expect(ids(await r.history({ all: true }))).toEqual([b.snapshot_id, a.snapshot_id]);
  });

  it('never vouches for a descriptor edited after it was cached: restore re-reads it', async () => {
    const { repo: r, root: rr } = await freshRepo(tmp, 'stale');
    const a = await r.snapshot({ worktree: 'main', note: 'aaaa' });
    await listSnapshots(r.layout);
    const p = join(rr, '.jvs/descriptors', `${a.snapshot_id}.json`);
    const st = await stat(p, { bigint: true });
    // Same size, same mtime (to the ns), edited in place: the cache may still show the old note...
    await writeFile(p, (await readFile(p, 'utf8')).replace('"note": "aaaa"', '"note": "bbbb"'));
    setTimeNs(p, st.mtimeNs);
    // ...but acting on the snapshot reads the file and its checksum fails.
    await expect(r.restore({ worktree: 'main', ref: 'aaaa' })).rejects.toMatchObject({ code: 'E_DESCRIPTOR_CORRUPT' });
    await expect(r.createWorktree('w', { from: 'aaaa' })).rejects.toMatchObject({ code: 'E_DESCRIPTOR_CORRUPT' });
  });
});

describe('the catalog cache settles', () => {
  it('becomes trusted once the directories are older than the settle time, even if listed right after a change', async () => {
    const { repo: r, root: rr } = await freshRepo(tmp, 'settle');
    await r.snapshot({ worktree: 'main' });
    await listSnapshots(r.layout); // within 2 s of the change: written, not yet trustworthy
    // Age the directories instead of sleeping: move their mtimes 10 s into the past.
    const past = BigInt(Date.now() - 10_000) * 1_000_000n;
    setTimeNs(join(rr, '.jvs/snapshots'), past);
    setTimeNs(join(rr, '.jvs/descriptors'), past);
    await listSnapshots(r.layout); // revalidates once and rewrites the header
    const header = JSON.parse((await readFile(join(rr, '.jvs/ext/catalog.jsonl'), 'utf8')).split('\n')[0]!) as { written_ns: string; descriptors_mtime_ns: string };
    expect(BigInt(header.descriptors_mtime_ns)).toBe(past);
    expect(BigInt(header.written_ns) - past).toBeGreaterThanOrEqual(2_000_000_000n);
  });
});
