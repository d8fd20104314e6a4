/**
 * The Rust core and the pure-TypeScript fallback must agree: same walks, same hashes, same
 * records, same error classes, and clones that hash identically. Where the fallback cannot
 * represent something it must fail clearly, never answer differently.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFallbackCore } from '../../src/native/fallback/index.js';
import { loadNativeCore } from '../../src/native/loader.js';
import { decodeIndex, encodeIndex } from '../../src/native/codec.js';
import type { CoreError, EngineName, IndexEntry, NativeCore, ScanDifference, WalkEntry } from '../../src/native/types.js';
import {
  addFifo,
  buildAwkwardNamesTree,
  buildContractVectorTree,
  buildDeepTree,
  buildHardlinksTree,
  buildModesTree,
  buildNonUtf8NamesTree,
  removeTree,
} from './fixtures.js';

const loaded = loadNativeCore();
if (!loaded.core) throw new Error(`parity tests need the native module: ${loaded.rejected.join('; ')}`);
const native: NativeCore = loaded.core;
const fallback: NativeCore = createFallbackCore();

const TREES: Record<string, (dir: string) => Promise<void>> = {
  'contract vector': buildContractVectorTree,
  'awkward names': buildAwkwardNamesTree,
  'non-UTF-8 names': buildNonUtf8NamesTree,
  'deep (200 levels)': (dir) => buildDeepTree(dir, 200),
  modes: buildModesTree,
  hardlinks: buildHardlinksTree,
};

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'jvs-parity-'));
});
afterAll(async () => {
  await removeTree(base);
});

let counter = 0;
async function tree(build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(base, `t${counter++}`);
  await mkdir(dir);
  await build(dir);
  return dir;
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { code: string; path: string | undefined; message: string }> {
  try {
    return { ok: await p };
  } catch (e) {
    const err = e as CoreError;
    return { code: err.code, path: err.path, message: err.message };
  }
}

/** Walk entries with raw names as hex, so that a mismatch prints readably. */
function comparable(entries: WalkEntry[]): unknown[] {
  return entries.map((e) => ({ ...e, path: e.path.toString('hex'), target: e.target?.toString('hex') }));
}

describe.each(Object.entries(TREES))('%s', (_name, build) => {
  it('walks identically', async () => {
    const dir = await tree(build);
    const [n, f] = await Promise.all([outcome(native.walk(dir)), outcome(fallback.walk(dir))]);
    if ('ok' in n && 'ok' in f) {
      expect(comparable(f.ok)).toEqual(comparable(n.ok));
    } else {
      // Only a name the fallback cannot represent may make it differ, and then it must say so.
      expect('ok' in n).toBe(true);
      expect(f).toMatchObject({ code: 'E_IO' });
    }
  });

  it('hashes identically, records included', async () => {
    const dir = await tree(build);
    const [n, f] = await Promise.all([outcome(native.hashTree(dir, { records: true })), outcome(fallback.hashTree(dir, { records: true }))]);
    expect('ok' in n).toBe(true);
    if ('ok' in f && 'ok' in n) {
      expect(f.ok.rootHash).toBe(n.ok.rootHash);
      expect(f.ok.count).toBe(n.ok.count);
      expect(f.ok.bytes).toBe(n.ok.bytes);
      const strip = (r: typeof n.ok.records): unknown => r?.map((x) => ({ ...x, path: x.path.toString('hex') }));
      expect(strip(f.ok.records)).toEqual(strip(n.ok.records));
    } else {
      expect(f).toMatchObject({ code: 'E_IO' });
    }
  });

  it('hashes into identical indexes, and vouches the same identities into them', async () => {
    const dir = await tree(build);
    const [n, f] = await Promise.all([outcome(native.hashTreeIndex(dir)), outcome(fallback.hashTreeIndex(dir))]);
    expect('ok' in n).toBe(true);
    if (!('ok' in f && 'ok' in n)) return expect(f).toMatchObject({ code: 'E_IO' });
    const { index: ni, ...nRest } = n.ok;
    const { index: fi, ...fRest } = f.ok;
    expect(fRest).toEqual(nRest);
    expect(fi.equals(ni)).toBe(true);
    expect(nRest.rootHash).toBe((await native.hashTree(dir)).rootHash);
    const far = BigInt(Date.now() + 3600_000) * 1_000_000n;
    const [nv, fv] = [await native.vouchIndex(dir, ni, far), await fallback.vouchIndex(dir, fi, far)];
    expect(fv).toEqual(nv);
    expect(nv.vouched).toBe(nRest.dirs + nRest.files + nRest.symlinks);
    expect(fi.equals(ni)).toBe(true);
    // Nothing precedes the epoch: nothing is vouched.
    expect((await native.vouchIndex(dir, Buffer.from(ni), 0n)).vouched).toBe(0);
  });

  it.each(['copy', 'reflink'] as EngineName[])('clones with %s to trees that hash like the source', async (engine) => {
    const src = await tree(build);
    const want = await native.hashTree(src);
    for (const [side, core] of [
      ['native', native],
      ['fallback', fallback],
    ] as const) {
      const dst = join(base, `clone-${counter++}`);
      const res = await outcome(core.cloneTree(src, dst, { engine }));
      if (!('ok' in res)) {
        expect(side, `${side} clone failed: ${JSON.stringify(res)}`).toBe('fallback');
        expect(res.code).toBe('E_IO');
        continue;
      }
      expect((await native.hashTree(dst)).rootHash, side).toBe(want.rootHash);
      expect(res.ok.requested).toBe(engine);
    }
  });
});

describe('linking from another tree', () => {
  it('both sides link exactly the matching copies and count them', async () => {
    const src = await tree(buildContractVectorTree);
    const parent = join(base, `parent-${counter++}`);
    await native.cloneTree(src, parent, { engine: 'copy' });
    // sub/b.txt's parent copy stops matching (another mtime); a.txt's still does.
    await utimes(join(parent, 'sub', 'b.txt'), 1_000_000, 1_000_000);
    const linkFrom = { root: parent, paths: [Buffer.from('a.txt'), Buffer.from('sub/b.txt')] };
    for (const core of [native, fallback]) {
      const dst = join(base, `linked-${counter++}`);
      const r = await core.cloneTree(src, dst, { engine: 'copy', linkFrom });
      expect(r.linked, core.kind).toBe(1);
      expect((await stat(join(dst, 'a.txt'))).ino, core.kind).toBe((await stat(join(parent, 'a.txt'))).ino);
      expect((await stat(join(dst, 'sub', 'b.txt'))).ino, core.kind).not.toBe((await stat(join(parent, 'sub', 'b.txt'))).ino);
      expect((await native.hashTree(dst)).rootHash, core.kind).toBe((await native.hashTree(src)).rootHash);
    }
  });
});

describe('known hashes', () => {
  it('both sides take a known hash instead of reading the file, and only when the size matches', async () => {
    const dir = await tree(buildContractVectorTree);
    const wrong = 'ab'.repeat(32);
    const known = [
      { path: Buffer.from('a.txt'), size: 5, hash: wrong },
      { path: Buffer.from('sub/b.txt'), size: 999, hash: wrong },
    ];
    const n = await native.hashTree(dir, { records: true, known });
    const f = await fallback.hashTree(dir, { records: true, known });
    expect(f.rootHash).toBe(n.rootHash);
    expect(n.rootHash).not.toBe((await native.hashTree(dir)).rootHash);
    expect(n.records!.find((r) => r.path.toString() === 'a.txt')!.hash).toBe(wrong);
    expect(n.records!.find((r) => r.path.toString() === 'sub/b.txt')!.hash).not.toBe(wrong);
  });
});

describe('hashPaths', () => {
  it('gives the records the tree hash gives, on both sides', async () => {
    const dir = await tree(buildAwkwardNamesTree);
    const all = (await native.hashTree(dir, { records: true })).records!;
    const pick = all.filter((_, i) => i % 2 === 0);
    const strip = (rs: typeof all): unknown => rs.map((x) => ({ ...x, path: x.path.toString('hex'), target: x.target?.toString('hex') }));
    expect(strip(await native.hashPaths(dir, pick.map((r) => r.path)))).toEqual(strip(pick));
    expect(strip(await fallback.hashPaths(dir, pick.map((r) => r.path)))).toEqual(strip(pick));
    for (const core of [native, fallback]) {
      expect(await outcome(core.hashPaths(dir, [Buffer.from('no/such')]))).toMatchObject({ code: 'E_NOT_FOUND' });
    }
  });
});

describe('syncTree', () => {
  it('both sides sync the same entries and fail alike on a missing root', async () => {
    const dir = await tree(buildAwkwardNamesTree);
    const entries = (await native.walk(dir)).length;
    expect(await native.syncTree(dir)).toBe(entries);
    expect(await fallback.syncTree(dir)).toBe(entries);
    for (const core of [native, fallback]) {
      expect(await outcome(core.syncTree(join(base, 'missing')))).toMatchObject({ code: 'E_NOT_FOUND' });
    }
  });
});

describe('errors agree', () => {
  it('special files', async () => {
    const dir = await tree(async (d) => {
      await buildContractVectorTree(d);
      addFifo(d, 'sub/pipe');
    });
    const [n, f] = await Promise.all([outcome(native.hashTree(dir)), outcome(fallback.hashTree(dir))]);
    expect(n).toEqual({ code: 'E_UNSUPPORTED_FILE', path: 'sub/pipe', message: 'unsupported file type (fifo): sub/pipe' });
    expect(f).toEqual(n);
    for (const core of [native, fallback]) {
      const dst = join(base, `clone-${counter++}`);
      expect(await outcome(core.cloneTree(dir, dst, { engine: 'copy' }))).toMatchObject({ code: 'E_UNSUPPORTED_FILE', path: 'sub/pipe' });
      expect(existsSync(dst), `${core.kind} left ${dst} behind`).toBe(false);
    }
  });

  it('missing roots and existing destinations', async () => {
    const src = await tree(buildContractVectorTree);
    for (const core of [native, fallback]) {
      expect(await outcome(core.hashTree(join(base, 'missing')))).toMatchObject({ code: 'E_NOT_FOUND' });
      expect(await outcome(core.cloneTree(join(base, 'missing'), join(base, `x${counter++}`), { engine: 'copy' }))).toMatchObject({
        code: 'E_NOT_FOUND',
      });
      expect(await outcome(core.cloneTree(src, src, { engine: 'copy' }))).toMatchObject({ code: 'E_EXISTS' });
    }
  });
});

describe('scanWorktree', () => {
  /** The index of `dir` as it is: its records, remembering identities of every other file. */
  async function indexOf(dir: string): Promise<Buffer> {
    const records = (await native.hashTree(dir, { records: true })).records!;
    const stats = new Map((await native.walk(dir)).map((e) => [e.path.toString('latin1'), e.statId]));
    const entries: IndexEntry[] = records
      .sort((a, b) => Buffer.compare(a.path, b.path))
      .map((r, i) => {
        const statId = r.kind === 'file' && i % 2 === 0 ? stats.get(r.path.toString('latin1')) : undefined;
        return { kind: r.kind, path: r.path, perm: r.perm, size: r.size, hash: r.hash, ...(statId ? { statId } : {}) };
      });
    return encodeIndex(entries);
  }
  const comparableDiffs = (ds: ScanDifference[]): unknown[] =>
    ds.map((d) => ({ ...d, entry: d.entry ? comparable([d.entry])[0] : undefined }));

  it.each(Object.entries(TREES))('both sides find the same differences in the %s tree after edits', async (_name, build) => {
    const dir = await tree(build);
    const index = await indexOf(dir);
    // Edits the trees share: a new file, a new directory, and the contract tree's own files.
    await writeFile(join(dir, 'added.txt'), 'new');
    await mkdir(join(dir, 'added-dir'));
    if (existsSync(join(dir, 'a.txt'))) await writeFile(join(dir, 'a.txt'), 'HELLO');
    if (existsSync(join(dir, 'sub', 'b.txt'))) await rm(join(dir, 'sub', 'b.txt'));
    if (existsSync(join(dir, 'sub', 'empty'))) await chmod(join(dir, 'sub', 'empty'), 0o700);
    for (const trust of [0n, 1n << 62n]) {
      const [n, f] = await Promise.all([outcome(native.scanWorktree(dir, index, trust)), outcome(fallback.scanWorktree(dir, index, trust))]);
      if ('ok' in n && 'ok' in f) expect(comparableDiffs(f.ok)).toEqual(comparableDiffs(n.ok));
      else expect(f).toMatchObject({ code: 'E_IO' });
      expect('ok' in n).toBe(true);
    }
  });

  it('both sides refuse a malformed or unsorted index', async () => {
    const dir = await tree(buildContractVectorTree);
    const index = await indexOf(dir);
    const entries = [...decodeIndex(index)].map(({ at: _at, ...e }): IndexEntry => e);
    for (const bad of [index.subarray(0, index.length - 3), encodeIndex([...entries].reverse())]) {
      for (const core of [native, fallback]) {
        await expect(core.scanWorktree(dir, bad, 0n), core.kind).rejects.toMatchObject({ code: 'E_IO' });
      }
    }
  });
});

describe('summarizeIndex in pieces', () => {
  it('pieces of whole entries summarize as the joined index; pieces out of order are refused', async () => {
    const dir = await tree(buildAwkwardNamesTree);
    const { index, rootHash } = await native.hashTreeIndex(dir);
    const offsets = [...decodeIndex(index)].map((x) => x.at);
    const cut = offsets[Math.floor(offsets.length / 2)]!;
    const pieces = [index.subarray(0, cut), index.subarray(cut)];
    for (const core of [native, fallback]) {
      expect((await core.summarizeIndex(pieces)).rootHash).toBe(rootHash);
      expect(await outcome(core.summarizeIndex([pieces[1]!, pieces[0]!]))).toMatchObject({ code: 'E_IO' });
    }
  });
});

describe('crc32', () => {
  it('is zlib\'s CRC-32 on both sides, of pieces as if joined', () => {
    const data = Buffer.from(Array.from({ length: 100_003 }, (_, i) => (i * 7 + (i >> 5)) & 0xff));
    const pieces = [data.subarray(0, 12_345), Buffer.alloc(0), data.subarray(12_345)];
    for (const core of [native, fallback]) {
      expect(core.crc32([Buffer.from('123456789')])).toBe(0xcbf43926);
      expect(core.crc32([])).toBe(0);
      expect(core.crc32(pieces)).toBe(core.crc32([data]));
    }
    expect(native.crc32([data])).toBe(fallback.crc32([data]));
  });
});
