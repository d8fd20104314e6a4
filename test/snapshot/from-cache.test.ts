/**
 * Snapshots taken from the stat cache (src/snapshot/from-cache.ts) must be exactly the
 * snapshots a whole hash makes: same payload root hash as the published tree, the same
 * manifest objects as building them from that tree's records, and a cache that holds exactly
 * the new snapshot's records. And when the clone holds something the scan cannot see, the
 * cache is not used.
 */
import { chmod, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { buildTrees } from '../../src/manifest/tree.js';
import { pointerPath } from '../../src/manifest/store.js';
import { decodeIndex, getCore, type CloneReport } from '../../src/native/index.js';
import { hashFromCache, type FromCache } from '../../src/snapshot/from-cache.js';
import { cachedHashes, loadStatCache, saveStatCache, type StatCache } from '../../src/statcache/cache.js';
import { nowNs } from '../../src/encoding/timestamp.js';
import { edit, rng } from '../support/random-tree.js';
import { freshDir, fsTarget } from '../support/filesystems.js';
import type { Repository } from '../../src/repo/repository.js';
import type { Descriptor } from '../../src/formats/descriptor.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('from-cache');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const recordKey = (x: { kind: string; path: Buffer; perm: number; size: number; hash: string }): string =>
  `${x.kind} ${x.path.toString('latin1')} ${x.perm} ${x.size} ${x.hash}`;

/** Checks snapshot `d` of `main` against a whole hash of what was published, and the cache after it. */
async function expectAsWholeHash(repo: Repository, root: string, main: string, d: Descriptor): Promise<void> {
  const dir = join(root, '.jvs/snapshots', d.snapshot_id);
  const hashed = await getCore().hashTree(dir, { records: true });
  expect(d.payload_root_hash).toBe(hashed.rootHash);
  expect(hashed.rootHash).toBe((await getCore().hashTree(main)).rootHash);
  const [rootId] = (await readFile(pointerPath(repo.layout, d.snapshot_id), 'utf8')).split(' ');
  expect(rootId).toBe(buildTrees(hashed.records!).root);
  const cache = (await loadStatCache(repo.layout, 'main'))!;
  expect(cache.base).toBe(d.snapshot_id);
  expect([...decodeIndex(cache.body)].map(recordKey).sort()).toEqual(hashed.records!.map(recordKey).sort());
  const v = await repo.verify(d.snapshot_id);
  expect(v.payload_hash_valid && !v.tamper_detected).toBe(true);
}

describe('a snapshot from the cache is the snapshot a whole hash makes', () => {
  it.each(Array.from({ length: 25 }, (_, i) => 2000 + i))('seed %i', async (seed) => {
    const r = rng(seed);
    const { repo, root } = await freshRepo(tmp, `s${seed}`);
    const main = join(root, 'main');
    for (let i = 0; i < 12; i++) await edit(main, r);
    await repo.snapshot({ worktree: 'main' });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1 + Math.floor(r() * 4); i++) await edit(main, r);
      // The clone is not hashed whole: the cache vouches for it.
      const whole = vi.spyOn(getCore(), 'hashTree');
      const d = await repo.snapshot({ worktree: 'main' });
      expect(whole).not.toHaveBeenCalled();
      whole.mockRestore();
      await expectAsWholeHash(repo, root, main, d);
    }
  });
});

const btrfs = fsTarget('btrfs');
const privileged = process.getuid?.() === 0;

describe.skipIf(!btrfs.dir)('on btrfs, from the inodes written since the parent snapshot', () => {
  // Moves, swaps and hard links keep inodes while their paths change: the cases a search by
  // inode must get right. As root the change search is used (and must be); otherwise the
  // snapshot is scanned whole, with the same results.
  it.each(Array.from({ length: 40 }, (_, i) => 3000 + i))('seed %i', async (seed) => {
    const r = rng(seed);
    const { repo, root } = await freshRepo(await freshDir(btrfs, `since${seed}`), 'repo');
    const main = join(root, 'main');
    expect(await getCore().isSubvolume(main)).toBe(true);
    for (let i = 0; i < 20; i++) await edit(main, r, { moves: true });
    await repo.snapshot({ worktree: 'main' });
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 1 + Math.floor(r() * 5); i++) await edit(main, r, { moves: true });
      const since = vi.spyOn(getCore(), 'scanSnapshotSince');
      const whole = vi.spyOn(getCore(), 'scanWorktree');
      const d = await repo.snapshot({ worktree: 'main' });
      expect(d.engine).toBe('btrfs-snapshot');
      expect(since).toHaveBeenCalledTimes(1);
      if (privileged) {
        expect(await since.mock.results[0]!.value).not.toBeNull();
        expect(whole).not.toHaveBeenCalled();
      }
      since.mockRestore();
      whole.mockRestore();
      await expectAsWholeHash(repo, root, main, d);
    }
  });

  it('a file the scan read in the snapshot is not hashed again', async () => {
    const { repo, root } = await freshRepo(await freshDir(btrfs, 'read-once'), 'repo');
    const main = join(root, 'main');
    await writeFile(join(main, 'same-size'), 'aaaa');
    await writeFile(join(main, 'other'), 'o');
    await repo.snapshot({ worktree: 'main' });
    await writeFile(join(main, 'same-size'), 'bbbb'); // the index's size: the scan reads it
    const hashed = vi.spyOn(getCore(), 'hashPaths');
    const d = await repo.snapshot({ worktree: 'main' });
    const paths = hashed.mock.calls.flatMap(([, ps]) => ps.map((p) => p.toString()));
    hashed.mockRestore();
    expect(paths).not.toContain('same-size');
    await expectAsWholeHash(repo, root, main, d);
    expect(await readFile(join(root, '.jvs/snapshots', d.snapshot_id, 'same-size'), 'utf8')).toBe('bbbb');
  });
});

describe('a first snapshot (an empty cache)', () => {
  it('is hashed into its index without a walk before the clone, and remembers every untouched entry', async () => {
    const { repo, root } = await freshRepo(tmp, 'first');
    const main = join(root, 'main');
    for (const d of ['a', 'a-b', 'a/x', 'b']) {
      await mkdir(join(main, d), { recursive: true });
      for (const f of ['f', 'g.txt', 'h-1']) await writeFile(join(main, d, f), `${d}/${f}`);
    }
    await symlink('a/f', join(main, 'link'));
    const walk = vi.spyOn(getCore(), 'walk');
    const whole = vi.spyOn(getCore(), 'hashTree');
    const d = await repo.snapshot({ worktree: 'main' });
    expect(walk).not.toHaveBeenCalled();
    expect(whole).not.toHaveBeenCalled();
    walk.mockRestore();
    whole.mockRestore();
    await expectAsWholeHash(repo, root, main, d);
    // Everything was made before the snapshot began: every identity is the entry's own.
    const cache = (await loadStatCache(repo.layout, 'main'))!;
    const now = new Map((await getCore().walk(main)).map((e) => [e.path.toString('latin1'), e.statId]));
    const entries = [...decodeIndex(cache.body)];
    expect(entries.length).toBe(4 + 12 + 1);
    for (const x of entries) expect(x.statId, x.path.toString()).toBe(now.get(x.path.toString('latin1')));
  });
});

/** A new repository whose main holds `files` (name → content), snapshotted once, with its cache. */
async function snapshotted(label: string, files: Record<string, string>): Promise<{ repo: Repository; root: string; main: string; first: Descriptor; cache: StatCache }> {
  const { repo, root } = await freshRepo(tmp, label);
  const main = join(root, 'main');
  for (const [name, content] of Object.entries(files)) await writeFile(join(main, name), content);
  const first = await repo.snapshot({ worktree: 'main' });
  return { repo, root, main, first, cache: (await loadStatCache(repo.layout, 'main'))! };
}

describe('what the scan cannot see', () => {
  it('a clone holding an entry that neither the worktree nor the cache has is not vouched for', async () => {
    const { main, cache } = await snapshotted('extra', { a: 'a' });
    // A clone made while `ghost` existed for a moment.
    await writeFile(join(main, 'ghost'), 'boo');
    const clone = join(tmp, 'extra-clone');
    const report = await getCore().cloneTree(main, clone, { engine: 'copy' });
    await rm(join(main, 'ghost'));
    expect(await hashFromCache(main, clone, join(tmp, 'extra-scratch'), cache, report, undefined, { cloneNs: 0n, scanNs: 0n })).toBeUndefined();
    // The same clone without it is vouched for.
    await rm(join(clone, 'ghost'));
    const honest = { ...report, files: report.files - 1 };
    const quick = await hashFromCache(main, clone, join(tmp, 'extra-scratch'), cache, honest, undefined, { cloneNs: 0n, scanNs: 0n });
    expect(quick !== undefined && quick !== 'relink' ? quick.rootHash : quick).toBe((await getCore().hashTree(clone)).rootHash);
  });
});

describe('what the cache must not vouch for', () => {
  it('an unread entry untouched since before the clone is remembered, unless the clone holds other permission bits', async () => {
    // Racily clean for the cache (taken now): f is a difference, which the scan does not read.
    const { main, cache } = await snapshotted('perm', { f: 'f', g: 'g' });
    const clone = join(tmp, 'perm-clone');
    const report = await getCore().cloneTree(main, clone, { engine: 'copy' });
    // As if a chmod had come and gone while the clone ran.
    await chmod(join(clone, 'f'), 0o600);
    // As if the clone had begun a while after f and g were last written: both untouched since.
    const later = nowNs() + 10_000_000_000n;
    const quick = await hashFromCache(main, clone, join(tmp, 'perm-scratch'), { ...cache, takenNs: nowNs() }, report, undefined, { cloneNs: later, scanNs: later });
    expect(quick).not.toBe('relink');
    const out = (quick as FromCache).cache;
    const remembered = cachedHashes({ ...out, body: Buffer.concat([out.body].flat()) });
    expect(remembered.has('g'), 'g: untouched, and the clone holds it').toBe(true);
    expect(remembered.has('f'), 'f: the clone holds other permission bits').toBe(false);
    // Touched since the clone began (its start now before their ctime): neither is remembered.
    const early = await hashFromCache(main, clone, join(tmp, 'perm-scratch'), { ...cache, takenNs: nowNs() }, report, undefined, { cloneNs: 0n, scanNs: later });
    const none = (early as FromCache).cache;
    const after = cachedHashes({ ...none, body: Buffer.concat([none.body].flat()) });
    expect(after.has('f') || after.has('g')).toBe(false);
  });

  /** `f` (and `g`) rewritten at the same size keeping the mtime, cloned linking from the first snapshot: the clone holds the parent's `f`. */
  async function linkedAnyway(label: string): Promise<{ main: string; cache: StatCache; clone: string; parent: string; report: CloneReport }> {
    const { root, main, first, cache } = await snapshotted(label, { f: 'aaaa', g: 'gggg' });
    const parent = join(root, '.jvs/snapshots', first.snapshot_id);
    await writeFile(join(main, 'f'), 'bbbb');
    execFileSync('touch', ['-r', join(parent, 'f'), join(main, 'f')]); // the mtime to the nanosecond
    await writeFile(join(main, 'g'), 'hhhh'); // a new mtime: not linked
    const clone = join(tmp, `${label}-clone`);
    const report = await getCore().cloneTree(main, clone, { engine: 'copy', linkFrom: { root: parent } });
    expect(await readFile(join(clone, 'f'), 'utf8')).toBe('aaaa');
    return { main, cache, clone, parent, report };
  }

  it('a linked clone holding the parent\'s copy of a changed file gets the file copied again; others are left as cloned', async () => {
    const { main, cache, clone, parent, report } = await linkedAnyway('recopy');
    const gIno = (await stat(join(clone, 'g'))).ino;
    const quick = await hashFromCache(main, clone, join(tmp, 'recopy-scratch'), cache, report, parent, { cloneNs: nowNs(), scanNs: nowNs() });
    expect(quick).not.toBe('relink');
    expect(await readFile(join(clone, 'f'), 'utf8')).toBe('bbbb');
    expect(await readFile(join(parent, 'f'), 'utf8'), 'the parent is untouched').toBe('aaaa');
    expect((await stat(join(clone, 'g'))).ino, 'g was cloned from the worktree: not copied again').toBe(gIno);
    expect((quick as FromCache).rootHash).toBe((await getCore().hashTree(clone)).rootHash);
  });

  it('a linked clone whose changed files cannot be copied again is not used at all', async () => {
    const { main, cache, clone, parent, report } = await linkedAnyway('relink');
    // The scratch area cannot be made (a file stands where its parent should be).
    await writeFile(join(tmp, 'relink-blocker'), '');
    expect(await hashFromCache(main, clone, join(tmp, 'relink-blocker', 'scratch'), cache, report, parent, { cloneNs: nowNs(), scanNs: nowNs() })).toBe('relink');
  });
});

describe('a cache the scan cannot use', () => {
  it('status answers from a fresh one when the saved body is malformed past its checksum', async () => {
    const { repo, root } = await freshRepo(tmp, 'malformed');
    await writeFile(join(root, 'main', 'f'), 'f');
    const d = await repo.snapshot({ worktree: 'main' });
    await saveStatCache(repo.layout, 'main', { takenNs: 0n, base: d.snapshot_id, body: Buffer.from('not an index') });
    const st = await repo.status('main');
    expect(st.clean).toBe(true);
    await writeFile(join(root, 'main', 'f'), 'g');
    expect((await repo.status('main')).modified.map((c) => c.path.toString())).toEqual(['f']);
  });
});

describe('a cache whose body is damaged after its head was read', () => {
  it('the clone linked from the parent is not used: a same-size, same-mtime change is captured', async () => {
    const { repo, root, main, first } = await snapshotted('damaged-body', { f: 'aaaa', g: 'gggg' });
    expect(first.engine).toBe('copy');
    // Changed at the same size, its mtime put back: a parent copy matches it by stat.
    await writeFile(join(main, 'f'), 'bbbb');
    execFileSync('touch', ['-r', join(root, '.jvs/snapshots', first.snapshot_id, 'f'), join(main, 'f')]);
    // The head still names the parent; the body no longer matches its checksum.
    const path = repo.layout.statCache('main');
    const bytes = await readFile(path);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(path, bytes);
    const whole = vi.spyOn(getCore(), 'hashTreeIndex');
    const d = await repo.snapshot({ worktree: 'main' });
    expect(whole).toHaveBeenCalledTimes(1);
    whole.mockRestore();
    expect(await readFile(join(root, '.jvs/snapshots', d.snapshot_id, 'f'), 'utf8')).toBe('bbbb');
    await expectAsWholeHash(repo, root, main, d);
  });
});
