/**
 * Diffing by manifest trees must give exactly what comparing the full record lists gives, and
 * read only the objects of subtrees that differ.
 */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compareSides, sidesOfRecords } from '../../src/inspect/compare.js';
import { manifestRoot, objectReader, writeManifest } from '../../src/manifest/store.js';
import { diffTrees, type TreeChanges } from '../../src/manifest/tree-diff.js';
import { getCore } from '../../src/native/index.js';
import { RepoLayout } from '../../src/repo/layout.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-tree-diff-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
/** A deterministic pseudo-random generator (tests must be reproducible). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

const NAMES = ['a', 'b', 'a.txt', 'a-b', 'c:d', 'new\nline', '.READY', 'z', 'sub'].map((s) => Buffer.from(s)).concat([Buffer.from([0xff, 0x41])]);

/** Writes a random tree of files, symlinks and directories (depth ≤ 3) under `dir` (raw bytes). */
async function randomTree(dir: Buffer, next: () => number, depth = 0): Promise<void> {
  for (const name of NAMES) {
    const r = next();
    const p = Buffer.concat([dir, Buffer.from('/'), name]);
    if (r < 0.35) await writeFile(p, `content ${Math.floor(next() * 4)}`);
    else if (r < 0.45) await symlink(`target-${Math.floor(next() * 3)}`, p);
    else if (r < 0.65 && depth < 3) {
      await mkdir(p);
      await randomTree(p, next, depth + 1);
    }
  }
}

/** Stores the manifest of `dir` as snapshot `id`; returns its root object id. */
async function store(layout: RepoLayout, id: string, dir: string): Promise<string> {
  const h = await getCore().hashTree(dir, { records: true });
  await writeManifest(layout, id, h.records!, h.rootHash);
  return (await manifestRoot(layout, id, h.rootHash))!;
}

/** Changes as comparable plain data. */
function plain(c: { added: { to: { path: Buffer; kind: string; hash?: string } }[]; removed: { from: { path: Buffer; kind: string; hash?: string } }[]; modified: { from: { path: Buffer; hash?: string }; to: { path: Buffer; kind: string; hash?: string } }[] }): unknown {
  const side = (s: { path: Buffer; kind?: string; hash?: string }): string => `${s.kind ?? ''}:${s.path.toString('hex')}:${s.hash}`;
  return {
    added: c.added.map((x) => side(x.to)),
    removed: c.removed.map((x) => side(x.from)),
    modified: c.modified.map((x) => `${side(x.from)} -> ${side(x.to)}`),
  };
}

describe('diffTrees', () => {
  const seen = { added: 0, removed: 0, modified: 0 };
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('equals the record-list comparison on random trees (seed %i)', async (seed) => {
    const layout = new RepoLayout(await mkdtemp(join(tmp, 'repo-')));
    const next = rng(seed);
    const a = join(tmp, `a${n}`);
    const b = join(tmp, `b${n++}`);
    await mkdir(a);
    await mkdir(b);
    await randomTree(Buffer.from(a), next);
    await randomTree(Buffer.from(b), next);
    const ra = await store(layout, 'a', a);
    const rb = await store(layout, 'b', b);
    const byTrees: TreeChanges = await diffTrees(objectReader(layout), ra, rb);
    const recA = (await getCore().hashTree(a, { records: true })).records!;
    const recB = (await getCore().hashTree(b, { records: true })).records!;
    expect(plain(byTrees)).toEqual(plain(compareSides(sidesOfRecords(recA), sidesOfRecords(recB))));
    seen.added += byTrees.added.length;
    seen.removed += byTrees.removed.length;
    seen.modified += byTrees.modified.length;
    expect(plain(await diffTrees(objectReader(layout), ra, ra))).toEqual({ added: [], removed: [], modified: [] });
  });

  it('the random trees produced every kind of change', () => {
    expect(Math.min(seen.added, seen.removed, seen.modified)).toBeGreaterThan(0);
  });

  it('reads only the objects of subtrees that differ; permission-only changes are not reported', async () => {
    const layout = new RepoLayout(await mkdtemp(join(tmp, 'repo-')));
    const dir = join(tmp, `w${n++}`);
    for (let d = 0; d < 10; d++) {
      await mkdir(join(dir, `d${d}`), { recursive: true });
      for (let f = 0; f < 20; f++) await writeFile(join(dir, `d${d}`, `f${f}`), `${d}.${f}`);
    }
    const before = await store(layout, 'before', dir);
    await writeFile(join(dir, 'd5', 'f3'), 'changed');
    await chmod(join(dir, 'd7', 'f1'), 0o600);
    const after = await store(layout, 'after', dir);
    const read = objectReader(layout);
    const ids: string[] = [];
    const counting = (id: string): ReturnType<typeof read> => {
      ids.push(id);
      return read(id);
    };
    const ch = await diffTrees(counting, before, after);
    expect(plain(ch)).toMatchObject({ added: [], removed: [] });
    expect(ch.modified.map((m) => m.to.path.toString())).toEqual(['d5/f3']);
    // The two roots, and d5 and d7 on each side (d7's object differs by a permission).
    expect(ids).toHaveLength(6);
  });

  it('a damaged object throws (diff then falls back to the record lists)', async () => {
    const layout = new RepoLayout(await mkdtemp(join(tmp, 'repo-')));
    const dir = join(tmp, `x${n++}`);
    await mkdir(join(dir, 'd'), { recursive: true });
    await writeFile(join(dir, 'd', 'f'), '1');
    const one = await store(layout, 'one', dir);
    await writeFile(join(dir, 'd', 'f'), '2');
    const two = await store(layout, 'two', dir);
    const read = objectReader(layout);
    const lying = async (id: string): ReturnType<typeof read> => (id === two ? Promise.reject(new Error('damaged')) : read(id));
    await expect(diffTrees(lying, one, two)).rejects.toThrow('damaged');
  });
});
