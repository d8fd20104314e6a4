/**
 * The stat cache must change speed, never results (issue 4): every case that could fool a
 * stat-based cache still yields snapshots that describe exactly what was on disk.
 */
import { execFileSync } from 'node:child_process';
import { chmod, link, lstat, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { decodeIndex, encodeIndex, getCore, statIdOf, type IndexEntry, type WalkEntry } from '../../src/native/index.js';
import { cachedHashes, knownHashes, loadStatCache, saveStatCache, statIdOfStats, trustedHash } from '../../src/statcache/cache.js';
import { FINE_RACY_NS, RACY_NS, racyWindowNs, racyWindowOf } from '../../src/statcache/racy.js';
import { nowNs } from '../../src/encoding/timestamp.js';
import { freshDir, fsTarget } from '../support/filesystems.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('statcache');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

/** Snapshot, verify it, and check the snapshot holds exactly `expected` for `file`. */
async function snapAndCheck(repo: Repository, root: string, file: string, expected: string): Promise<string> {
  const d = await repo.snapshot({ worktree: 'main' });
  const v = await repo.verify(d.snapshot_id);
  expect(v.payload_hash_valid && !v.tamper_detected).toBe(true);
  expect(await readFile(join(root, '.jvs/snapshots', d.snapshot_id, file), 'utf8')).toBe(expected);
  return d.snapshot_id;
}

/**
 * Moves a file's mtime far into the past (keeping content): `touch -d`. Microsecond-exact, so
 * that the fallback core (which keeps mtimes to the microsecond) copies it exactly too.
 */
function oldMtime(path: string): void {
  execFileSync('touch', ['-d', '2001-02-03 04:05:06.123456', path]);
}

/** Waits until the file's ctime is older than the racy window of the file system under test. */
const settle = async (): Promise<void> => {
  const ms = Number((await racyWindowNs(tmpdir())) / 1_000_000n) + 200;
  await new Promise((r) => setTimeout(r, ms));
};

/** A repository whose main worktree holds `f` = `aaaa`, old and settled, snapshotted once. */
async function settledRepo(): Promise<{ repo: Repository; root: string; first: string }> {
  const { repo, root } = await freshRepo(tmp, `r${n++}`);
  const f = join(root, 'main', 'f');
  await writeFile(f, 'aaaa');
  oldMtime(f);
  await settle();
  return { repo, root, first: (await repo.snapshot({ worktree: 'main' })).payload_root_hash };
}

/** Rewrites the saved stat cache's file entries through `edit` (and its takenNs when given). */
async function tamperCache(repo: Repository, edit: (e: IndexEntry) => void, takenNs?: bigint): Promise<void> {
  const cache = (await loadStatCache(repo.layout, 'main'))!;
  const entries = [...decodeIndex(cache.body)].map(({ at: _at, ...e }): IndexEntry => e);
  for (const e of entries) if (e.kind === 'file') edit(e);
  await saveStatCache(repo.layout, 'main', { ...cache, body: encodeIndex(entries), takenNs: takenNs ?? cache.takenNs });
}

/**
 * Rewrites `name` in main and tells the cache that its new stat still holds the head's record
 * (taken far in the future, so nothing is racily clean): a lie only a consulted cache believes.
 */
async function rewriteBehindCache(repo: Repository, root: string, name: string, content: string): Promise<void> {
  const file = join(root, 'main', name);
  await writeFile(file, content);
  const now = statIdOfStats(await lstat(file, { bigint: true }));
  await tamperCache(
    repo,
    (e) => {
      if (e.path.toString() === name) e.statId = now;
    },
    nowNs() + 10n * RACY_NS,
  );
}

/** The cached hashes (files whose identity the cache remembers), by path. */
const cached = async (repo: Repository): Promise<Map<string, { statId: string; hash: string }>> => cachedHashes(await loadStatCache(repo.layout, 'main'));

/** The identity with another device: the same file as another machine would see it. */
function onOtherDevice(statId: string): string {
  const b = Buffer.from(statId, 'latin1');
  b.writeBigUInt64LE(b.readBigUInt64LE(28) + 1n, 28);
  return b.toString('latin1');
}

describe('racy window', () => {
  it('is narrow on a local file system stamped by the kernel at nanosecond granularity', async () => {
    expect(racyWindowOf(0xef53, 1_700_000_000_123_456_789n), 'ext4').toBe(FINE_RACY_NS);
    expect(racyWindowOf(0x58465342, 1_700_000_000_000_000_001n), 'XFS').toBe(FINE_RACY_NS);
    const shm = await statfs('/dev/shm').catch(() => undefined);
    if (process.platform !== 'linux' || shm?.type !== 0x01021994) return void console.log('skip: /dev/shm is not a tmpfs here');
    expect(await racyWindowNs('/dev/shm')).toBe(FINE_RACY_NS);
  });
  it('stays wide where timestamps are coarser (seconds) or come from elsewhere (FUSE, NFS)', () => {
    expect(racyWindowOf(0xef53, 1_700_000_000_000_000_000n), 'ext4 with 128-byte inodes').toBe(RACY_NS);
    expect(racyWindowOf(0x65735546, 1_700_000_000_123_456_789n), 'FUSE (JuiceFS)').toBe(RACY_NS);
    expect(racyWindowOf(0x6969, 1_700_000_000_123_456_789n), 'NFS').toBe(RACY_NS);
  });
  it('stays wide where the file system is not known to be (procfs), or is missing', async () => {
    expect(await racyWindowNs('/proc')).toBe(RACY_NS);
    expect(await racyWindowNs(join(tmpdir(), 'no-such-jvs-dir'))).toBe(RACY_NS);
  });
  it('is the worktree file system\'s in a loaded cache', async () => {
    const { repo, root } = await settledRepo();
    expect((await loadStatCache(repo.layout, 'main'))!.racyNs).toBe(await racyWindowNs(join(root, 'main')));
  });
});

describe('trust rules', () => {
  const entry = (over: Partial<WalkEntry> = {}): WalkEntry => {
    const fields = { path: Buffer.from('f'), kind: 'file' as const, mode: 0o100644, size: 3, mtimeNs: 1_000_000_000_000n, ctimeNs: 1_000_000_000_000n, dev: 1n, ino: 2n, nlink: 1, ...over };
    return { ...fields, statId: statIdOf(fields) };
  };
  const cache = { takenNs: 1_000_000_000_000n + 10n * RACY_NS, entries: new Map([['f', { ...entry(), hash: 'aa'.repeat(32) }]]) };

  it('trusts an identical, settled stat', () => {
    expect(trustedHash(cache, entry())).toBe('aa'.repeat(32));
  });
  it.each([
    ['size', { size: 4 }],
    ['inode (replaced by rename)', { ino: 3n }],
    ['device (another machine)', { dev: 9n }],
    ['mtime', { mtimeNs: 1_000_000_000_001n }],
    ['ctime (touch -d after a change)', { ctimeNs: 1_000_000_000_001n }],
    ['mode (chmod)', { mode: 0o100600 }],
  ])('does not trust a different %s', (_what, over) => {
    expect(trustedHash(cache, entry(over))).toBeUndefined();
  });
  it('does not trust a racily clean entry', () => {
    const racy = { ...cache, takenNs: 1_000_000_000_000n + RACY_NS / 2n };
    expect(trustedHash(racy, entry())).toBeUndefined();
  });
  it("applies the cache's own racy window when it has one", () => {
    const fine = { ...cache, racyNs: FINE_RACY_NS };
    expect(trustedHash({ ...fine, takenNs: 1_000_000_000_000n + FINE_RACY_NS + 1n }, entry())).toBe('aa'.repeat(32));
    expect(trustedHash({ ...fine, takenNs: 1_000_000_000_000n + FINE_RACY_NS }, entry())).toBeUndefined();
    expect(trustedHash({ ...fine, takenNs: 1_000_000_000_000n + FINE_RACY_NS - 1n }, entry({ mtimeNs: 0n })), 'ctime alone').toBeUndefined();
  });
  it('only vouches for files whose stat held still across the clone', () => {
    expect(knownHashes(cache, [entry()], [entry()])).toHaveLength(1);
    expect(knownHashes(cache, [entry()], [entry({ ctimeNs: 1_000_000_000_005n })])).toEqual([]);
    expect(knownHashes(cache, [entry()], [])).toEqual([]);
  });
});

describe('snapshots with a stat cache describe exactly what was on disk', () => {
  it('two same-size writes in the same tick', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const f = join(root, 'main', 'f');
    await writeFile(f, 'aaaa');
    await snapAndCheck(repo, root, 'f', 'aaaa');
    await writeFile(f, 'bbbb');
    await snapAndCheck(repo, root, 'f', 'bbbb');
  });

  it('content changed, then the old mtime restored (ctime catches it)', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const f = join(root, 'main', 'f');
    await writeFile(f, 'aaaa');
    oldMtime(f);
    await settle();
    await snapAndCheck(repo, root, 'f', 'aaaa');
    expect((await cached(repo)).size).toBe(1);
    await writeFile(f, 'bbbb');
    oldMtime(f);
    await snapAndCheck(repo, root, 'f', 'bbbb');
  });

  it('a file replaced by rename, a chmod, hard links', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const main = join(root, 'main');
    await writeFile(join(main, 'f'), 'aaaa');
    await writeFile(join(main, 'g'), 'gggg');
    oldMtime(join(main, 'f'));
    await settle();
    await snapAndCheck(repo, root, 'f', 'aaaa');
    await writeFile(join(main, 'f.new'), 'bbbb');
    oldMtime(join(main, 'f.new'));
    await rename(join(main, 'f.new'), join(main, 'f'));
    await chmod(join(main, 'g'), 0o600);
    await link(join(main, 'g'), join(main, 'g-link'));
    const id = await snapAndCheck(repo, root, 'f', 'bbbb');
    expect(await readFile(join(root, '.jvs/snapshots', id, 'g-link'), 'utf8')).toBe('gggg');
    const ls = await repo.ls(id, 'g');
    expect(ls[0]!.mode).toBe(0o600);
  });

  it('a deleted, a damaged and a foreign (other device) cache change nothing', async () => {
    const { repo, root, first } = await settledRepo();
    // Foreign: same paths and times, another device; and a lying hash that must not be used.
    await tamperCache(repo, (e) => {
      if (e.statId) e.statId = onOtherDevice(e.statId);
      e.hash = 'ff'.repeat(32);
    });
    expect((await repo.snapshot({ worktree: 'main' })).payload_root_hash).toBe(first);
    await writeFile(join(root, '.jvs/ext/worktrees/main/stat.cache'), 'JVSSTAT2\ntruncated');
    expect((await repo.snapshot({ worktree: 'main' })).payload_root_hash).toBe(first);
    // A flipped bit in the body (here: in a remembered hash) fails the body's checksum.
    await tamperCache(repo, () => undefined);
    const file = join(root, '.jvs/ext/worktrees/main/stat.cache');
    const bytes = await readFile(file);
    const hashAt = bytes.length - 1 - 4 - 44 - 32; // the last (only) entry is `f`: path, length, identity, hash
    bytes[hashAt] = bytes[hashAt]! ^ 1;
    await writeFile(file, bytes);
    expect(await loadStatCache(repo.layout, 'main')).toBeUndefined();
    expect((await repo.status('main')).clean).toBe(true);
    expect((await repo.snapshot({ worktree: 'main' })).payload_root_hash).toBe(first);
    await rm(join(root, '.jvs/ext/worktrees/main/stat.cache'));
    expect((await repo.snapshot({ worktree: 'main' })).payload_root_hash).toBe(first);
  });

  it('a trusted entry is really used: a lying hash for an unchanged, settled file shows up', async () => {
    // White-box: proves the cache is consulted (the speed-up exists), using a hash that lies.
    const { repo, root, first } = await settledRepo();
    await tamperCache(repo, (e) => {
      e.hash = 'ff'.repeat(32);
    });
    const second = await repo.snapshot({ worktree: 'main' });
    expect(second.payload_root_hash).not.toBe(first);
    expect((await getCore().hashTree(join(root, 'main'))).rootHash).toBe(first);
  });
});

describe('status with a stat cache', () => {
  it('reports a same-size change behind a restored mtime, and consults the cache for unchanged files', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const f = join(root, 'main', 'f');
    await writeFile(f, 'aaaa');
    await writeFile(join(root, 'main', 'g'), 'gggg');
    oldMtime(f);
    oldMtime(join(root, 'main', 'g'));
    await settle();
    await repo.snapshot({ worktree: 'main' });
    expect((await repo.status('main')).clean).toBe(true);
    await writeFile(f, 'bbbb');
    oldMtime(f);
    expect((await repo.status('main')).modified.map((c) => c.path.toString())).toEqual(['f']);
    // White-box: g is rewritten behind the cache's back, and the cache told that g's new stat
    // holds its old record. Status believes it (g is not read), so it misses that change.
    await rewriteBehindCache(repo, root, 'g', 'GGGG');
    expect((await repo.status('main')).modified.map((c) => c.path.toString())).toEqual(['f']);
    // Without the cache the truth comes back.
    await rm(join(root, '.jvs/ext/worktrees/main/stat.cache'));
    expect((await repo.status('main')).modified.map((c) => c.path.toString())).toEqual(['f', 'g']);
  });

  it('reads a modified file again only while its stat keeps changing, and saves nothing for it', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const f = join(root, 'main', 'f');
    await writeFile(f, 'aaaa');
    oldMtime(f);
    await settle();
    await repo.snapshot({ worktree: 'main' });
    await writeFile(f, 'bbbb');
    oldMtime(f);
    expect((await repo.status('main')).modified.map((c) => c.path.toString())).toEqual(['f']);
    const file = join(root, '.jvs/ext/worktrees/main/stat.cache');
    const saved = await stat(file, { bigint: true });
    expect((await repo.status('main')).modified.map((c) => c.path.toString())).toEqual(['f']);
    // A modified file teaches the cache nothing: it is not rewritten by a second status.
    expect((await stat(file, { bigint: true })).mtimeNs).toBe(saved.mtimeNs);
    expect((await cached(repo)).has('f')).toBe(false);
  });

  it('refreshes the cache with what it read', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const f = join(root, 'main', 'f');
    await writeFile(f, 'aaaa');
    await repo.snapshot({ worktree: 'main' });
    await rm(join(root, '.jvs/ext/worktrees/main/stat.cache'));
    await repo.status('main');
    expect([...(await cached(repo)).keys()]).toEqual(['f']);
  });
});

const xfs = fsTarget('xfs');

describe.each([
  { engine: 'copy', on: () => Promise.resolve(tmp), skip: undefined },
  // A reflink is a metadata transaction per file; a link is cheaper still (create.ts LINKING_ENGINES).
  { engine: 'reflink-copy', on: () => freshDir(xfs, 'stat-links'), skip: xfs.skipReason },
])('$engine engine: unchanged files are hard links to the parent snapshot', ({ engine, on, skip }) => {
  it.skipIf(skip !== undefined)('shares exactly the unchanged files, never with the worktree, and survives deleting the parent', async () => {
    const { repo, root } = await freshRepo(await on(), `r${n++}`);
    await writeFile(join(root, '.jvs/config.yaml'), `default_engine: ${engine}\n`);
    const main = join(root, 'main');
    for (const f of ['same', 'edited', 'chmodded', 'touched']) {
      await writeFile(join(main, f), `${f} content`);
      oldMtime(join(main, f));
    }
    await settle();
    const first = await repo.snapshot({ worktree: 'main' });
    await writeFile(join(main, 'edited'), 'edited CONTENT');
    await chmod(join(main, 'chmodded'), 0o600);
    execFileSync('touch', [join(main, 'touched')]);
    const second = await repo.snapshot({ worktree: 'main' });
    expect(second.engine).toBe(engine);
    const ino = async (id: string, f: string): Promise<bigint> => (await stat(join(root, '.jvs/snapshots', id, f), { bigint: true })).ino;
    expect(await ino(second.snapshot_id, 'same')).toBe(await ino(first.snapshot_id, 'same'));
    for (const f of ['edited', 'chmodded', 'touched']) expect(await ino(second.snapshot_id, f), f).not.toBe(await ino(first.snapshot_id, f));
    expect((await stat(join(main, 'same'), { bigint: true })).ino).not.toBe(await ino(second.snapshot_id, 'same'));
    for (const id of [first.snapshot_id, second.snapshot_id]) {
      const v = await repo.verify(id);
      expect(v.payload_hash_valid && !v.tamper_detected, id).toBe(true);
    }
    // Delete the parent the way GC does; the child keeps its (shared) content.
    await rm(join(root, '.jvs/snapshots', first.snapshot_id), { recursive: true });
    expect(await readFile(join(root, '.jvs/snapshots', second.snapshot_id, 'same'), 'utf8')).toBe('same content');
    const v = await repo.verify(second.snapshot_id);
    expect(v.payload_hash_valid).toBe(true);
  });
});

describe('restore with a stat cache', () => {
  /** `f` and `g` old and settled; snapshot `a` (f=aaaa, g=gggg), then f=bbbb, g=hhhh snapshotted as `b`. */
  async function twoSnapshots(): Promise<{ repo: Repository; root: string; a: string; b: string }> {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const main = join(root, 'main');
    await writeFile(join(main, 'f'), 'aaaa');
    await writeFile(join(main, 'g'), 'gggg');
    for (const x of ['f', 'g']) oldMtime(join(main, x));
    await settle();
    const a = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    await writeFile(join(main, 'f'), 'bbbb');
    await writeFile(join(main, 'g'), 'hhhh');
    for (const x of ['f', 'g']) oldMtime(join(main, x));
    await settle();
    const b = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    return { repo, root, a, b };
  }

  it('restores exact bytes and leaves a cache of only the files it did not touch', async () => {
    const { repo, root, a, b } = await twoSnapshots();
    const main = join(root, 'main');
    await repo.restore({ worktree: 'main', ref: a });
    expect(await readFile(join(main, 'f'), 'utf8')).toBe('aaaa');
    expect(await readFile(join(main, 'g'), 'utf8')).toBe('gggg');
    // Both were replaced: their new stat is racily clean, so the cache holds neither.
    expect((await cached(repo)).size).toBe(0);
    await settle();
    expect((await repo.status('main')).clean).toBe(true);
    expect([...(await cached(repo)).keys()].sort()).toEqual(['f', 'g']);
    await settle();
    await repo.restore({ worktree: 'main', ref: b });
    expect(await readFile(join(main, 'f'), 'utf8')).toBe('bbbb');
    expect(await readFile(join(main, 'g'), 'utf8')).toBe('hhhh');
  });

  it('a trusted entry is really used: a file changed behind the cache, its identity vouched for, is not restored', async () => {
    // White-box: g is rewritten (same size) and the cache told that g's new stat holds the
    // head's record. Restoring the head believes it — g is neither read nor replaced.
    const { repo, root, b } = await twoSnapshots();
    const g = join(root, 'main', 'g');
    await rewriteBehindCache(repo, root, 'g', 'HHHH');
    const r = await repo.restore({ worktree: 'main', ref: b });
    expect(r.safety_snapshot_id).toBeUndefined();
    expect(await readFile(g, 'utf8')).toBe('HHHH');
    // Without the cache the change is seen: saved first, then restored.
    await rm(join(root, '.jvs/ext/worktrees/main/stat.cache'));
    const again = await repo.restore({ worktree: 'main', ref: b });
    expect(again.safety_snapshot_id).toBeDefined();
    expect(await readFile(g, 'utf8')).toBe('hhhh');
  });

  it('an unsaved change is saved first, and the safety snapshot links what did not change (copy engine)', async () => {
    const { repo: plain, root, a, b } = await twoSnapshots();
    // The engine of a safety snapshot comes from the environment or detection (not config).
    const repo = Repository.openAt(root, { env: { JVS_ENGINE: 'copy' } });
    const main = join(root, 'main');
    await writeFile(join(main, 'f'), 'cccc');
    const r = await repo.restore({ worktree: 'main', ref: a });
    const safety = r.safety_snapshot_id!;
    expect(safety).toBeDefined();
    const snap = (id: string, f: string): string => join(root, '.jvs/snapshots', id, f);
    expect(await readFile(snap(safety, 'f'), 'utf8')).toBe('cccc');
    expect(await readFile(snap(safety, 'g'), 'utf8')).toBe('hhhh');
    const ino = async (p: string): Promise<bigint> => (await stat(p, { bigint: true })).ino;
    // g is unchanged since the head b: linked to b's copy, not copied.
    expect((await plain.history({ all: true })).find((d) => d.snapshot_id === safety)!.engine).toBe('copy');
    expect(await ino(snap(safety, 'g'))).toBe(await ino(snap(b, 'g')));
    expect(await ino(snap(safety, 'f'))).not.toBe(await ino(snap(b, 'f')));
    const v = await repo.verify(safety);
    expect(v.payload_hash_valid && !v.tamper_detected).toBe(true);
    expect(await readFile(join(main, 'f'), 'utf8')).toBe('aaaa');
  });
});
