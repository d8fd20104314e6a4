/**
 * Diffing by manifest trees must give exactly what comparing the full record lists gives, and
 * read only the objects of subtrees that differ.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compareSides, sidesOfRecords, type Changes } from '../../src/inspect/compare.js';
import { dropManifest, loadManifest, manifestRoot, objectReader, pointerPath, writeManifest, type ObjectReader } from '../../src/manifest/store.js';
import { diffTrees, type TreeChanges } from '../../src/manifest/tree-diff.js';
import { getCore, type HashRecord } from '../../src/native/index.js';
import { RepoLayout } from '../../src/repo/layout.js';
import { freshRepo, writeTree } from '../support/repo.js';
import type { Repository } from '../../src/index.js';

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

/** A tree to write: file content, symlink target, or a directory keyed by latin1 name. */
type Node = { file: string } | { link: string } | { dir: Map<string, Node> };

function randomNode(next: () => number, depth: number): Node | undefined {
  const r = next();
  if (r < 0.35) return { file: `content ${Math.floor(next() * 4)}` };
  if (r < 0.45) return { link: `target-${Math.floor(next() * 3)}` };
  if (r < 0.65 && depth < 3) return randomDir(next, depth + 1);
  return undefined;
}

function randomDir(next: () => number, depth: number): { dir: Map<string, Node> } {
  const dir = new Map<string, Node>();
  for (const name of NAMES) {
    const node = randomNode(next, depth);
    if (node) dir.set(name.toString('latin1'), node);
  }
  return { dir };
}

/**
 * A copy of `tree` with a few entries replaced, removed or added at any depth, so that most
 * subtrees are shared (equal objects) and the changes sit deep inside them.
 */
function mutate(tree: { dir: Map<string, Node> }, next: () => number, depth = 0): { dir: Map<string, Node> } {
  const dir = new Map<string, Node>();
  for (const name of NAMES) {
    const key = name.toString('latin1');
    const old = tree.dir.get(key);
    const r = next();
    if (r < 0.08) {
      const node = randomNode(next, depth);
      if (node) dir.set(key, node);
    } else if (old && 'dir' in old) dir.set(key, mutate(old, next, depth + 1));
    else if (old) dir.set(key, old);
  }
  return { dir };
}

async function writeNode(path: Buffer, node: Node): Promise<void> {
  if ('file' in node) await writeFile(path, node.file);
  else if ('link' in node) await symlink(node.link, path);
  else {
    await mkdir(path);
    for (const [name, child] of node.dir) await writeNode(Buffer.concat([path, Buffer.from('/'), Buffer.from(name, 'latin1')]), child);
  }
}

/** Stores the manifest of `dir` as snapshot `id`; returns its root object id. */
async function store(layout: RepoLayout, id: string, dir: string): Promise<string> {
  const h = await getCore().hashTree(dir, { records: true });
  await writeManifest(layout, id, h.records!, h.rootHash);
  return (await manifestRoot(layout, id, h.rootHash))!;
}

/** Changes as comparable plain data. */
function plain(c: TreeChanges | Changes): unknown {
  const side = (s: { path: Buffer; kind?: string; hash?: string; size?: number; perm?: number }): string => `${s.kind ?? ''}:${s.path.toString('hex')}:${s.hash}:${s.size}:${s.perm}`;
  return {
    added: c.added.map((x) => side(x.to)),
    removed: c.removed.map((x) => side(x.from)),
    modified: c.modified.map((x) => `${side(x.from)} -> ${side(x.to)}`),
  };
}

describe('diffTrees', () => {
  const seen = { added: 0, removed: 0, modified: 0 };
  /** Both trees' manifests stored, then diffed by trees and by record lists. */
  async function bothWays(treeA: Node, treeB: Node): Promise<void> {
    const layout = new RepoLayout(await mkdtemp(join(tmp, 'repo-')));
    const a = join(tmp, `a${n}`);
    const b = join(tmp, `b${n++}`);
    await writeNode(Buffer.from(a), treeA);
    await writeNode(Buffer.from(b), treeB);
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
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('equals the record-list comparison on unrelated random trees (seed %i)', async (seed) => {
    const next = rng(seed);
    await bothWays(randomDir(next, 0), randomDir(next, 0));
  });

  it.each([11, 12, 13, 14, 15, 16, 17, 18])('equals the record-list comparison on a random tree and a mutation of it (seed %i)', async (seed) => {
    const next = rng(seed);
    const tree = randomDir(next, 0);
    await bothWays(tree, mutate(tree, next));
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
    const ids = new Set<string>();
    const counting: ObjectReader = {
      bytes: (id) => (ids.add(id), read.bytes(id)),
      entries: (id) => (ids.add(id), read.entries(id)),
    };
    // An object both trees share is never needed: even gone from disk, the diff is the same.
    const shared = (await read.entries(before)).find((e) => e.name.toString() === 'd0')!.hash.toString('hex');
    await unlink(join(layout.manifestsDir, 'objects', shared.slice(0, 2), shared.slice(2)));
    const ch = await diffTrees(counting, before, after);
    expect(plain(ch)).toMatchObject({ added: [], removed: [] });
    expect(ch.modified.map((m) => m.to.path.toString())).toEqual(['d5/f3']);
    // The two roots, and d5 and d7 on each side (d7's object differs by a permission).
    expect(ids.size).toBe(6);
  });

  it.each([21, 22, 23, 24, 25, 26])('large directories with a few changes anywhere: equals the record-list comparison (seed %i)', async (seed) => {
    // Synthetic records (no files needed): objects of ~100 KiB, so the byte comparison steps
    // over whole chunks, and changes at the edges, in the middle, and to symlink target lengths.
    const next = rng(seed);
    const hex = (x: number): string => x.toString(16).padStart(64, '0');
    const rec = (path: string, v: number): HashRecord =>
      v % 5 === 0
        ? { kind: 'symlink', path: Buffer.from(path), perm: 0o777, size: v % 7, hash: hex(v), target: Buffer.from('t'.repeat(v % 7)) }
        : { kind: 'file', path: Buffer.from(path), perm: 0o644, size: v % 100, hash: hex(v) };
    const dir = (path: string): HashRecord => ({ kind: 'dir', path: Buffer.from(path), perm: 0o755, size: 0, hash: '' });
    const base = new Map<string, HashRecord>([['big', dir('big')], ['big/sub', dir('big/sub')]]);
    for (let i = 0; i < 2000; i++) base.set(`big/f${String(i).padStart(5, '0')}`, rec(`big/f${String(i).padStart(5, '0')}`, i));
    for (let i = 0; i < 300; i++) base.set(`big/sub/g${i}`, rec(`big/sub/g${i}`, i));
    const changed = new Map(base);
    const keys = [...base.keys()].filter((k) => base.get(k)!.kind !== 'dir');
    const pick = (): string => (next() < 0.2 ? (next() < 0.5 ? keys[0]! : keys[keys.length - 1]!) : keys[Math.floor(next() * keys.length)]!);
    for (let c = 0; c < 1 + Math.floor(next() * 4); c++) {
      const k = pick();
      const r = next();
      if (r < 0.3) changed.delete(k);
      else if (r < 0.7) changed.set(k, rec(k, Math.floor(next() * 1e6)));
      else changed.set(`${k}x`, rec(`${k}x`, Math.floor(next() * 1e6)));
    }
    const layout = new RepoLayout(await mkdtemp(join(tmp, 'repo-')));
    await writeManifest(layout, 'a', [...base.values()], 'a');
    await writeManifest(layout, 'b', [...changed.values()], 'b');
    const [ra, rb] = [(await manifestRoot(layout, 'a', 'a'))!, (await manifestRoot(layout, 'b', 'b'))!];
    const byTrees = await diffTrees(objectReader(layout), ra, rb);
    expect(plain(byTrees)).toEqual(plain(compareSides(sidesOfRecords([...base.values()]), sidesOfRecords([...changed.values()]))));
    expect(byTrees.added.length + byTrees.removed.length + byTrees.modified.length).toBeGreaterThan(0);
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
    const damaged = (id: string): Promise<never> => Promise.reject(new Error(`damaged ${id}`));
    const lying: ObjectReader = {
      bytes: (id) => (id === two ? damaged(id) : read.bytes(id)),
      entries: (id) => (id === two ? damaged(id) : read.entries(id)),
    };
    await expect(diffTrees(lying, one, two)).rejects.toThrow('damaged');
  });
});

describe('diff of two snapshots with a missing or damaged manifest', () => {
  /** A repository with two snapshots one edit apart in a nested directory, and their diff. */
  async function twoSnapshots(): Promise<{ repo: Repository; layout: RepoLayout; a: string; b: string; hashA: string; hashB: string; expected: unknown }> {
    const { repo, root } = await freshRepo(await mkdtemp(join(tmp, 'e2e-')));
    const spec: Record<string, string | { link: string }> = { 'top.txt': 't', 'x/y/deep.txt': 'd1', 'x/y/gone.txt': 'g', 'x/link': { link: 'y/deep.txt' } };
    for (let i = 0; i < 5; i++) spec[`shared${i}/f`] = `s${i}`;
    await writeTree(join(root, 'main'), spec);
    const a = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    await writeFile(join(root, 'main/x/y/deep.txt'), 'd2 longer');
    await unlink(join(root, 'main/x/y/gone.txt'));
    await writeTree(join(root, 'main'), { 'x/new/n.txt': 'n' });
    const b = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    const expected = await repo.diff({ from: a, to: b });
    expect(expected).toMatchObject({ total_added: 1, total_removed: 1, total_modified: 1 });
    return { repo, layout: repo.layout, a, b, hashA: await payloadHash(repo.layout, a), hashB: await payloadHash(repo.layout, b), expected };
  }

  const rootOf = async (layout: RepoLayout, id: string): Promise<string> => (await readFile(pointerPath(layout, id), 'utf8')).split(' ')[0]!;
  const objectFile = (layout: RepoLayout, id: string): string => join(layout.manifestsDir, 'objects', id.slice(0, 2), id.slice(2));

  it('without manifests (as v8.2 wrote them) or with one only: the record lists give the same diff and build the manifests', async () => {
    const { repo, layout, a, b, hashA, hashB, expected } = await twoSnapshots();
    await dropManifest(layout, b);
    expect(await repo.diff({ from: a, to: b })).toEqual(expected);
    await dropManifest(layout, a);
    await dropManifest(layout, b);
    expect(await repo.diff({ from: a, to: b })).toEqual(expected);
    expect(await loadManifest(layout, a, hashA)).toBeDefined();
    expect(await loadManifest(layout, b, hashB)).toBeDefined();
  });

  it('a damaged object on the changed path: same diff, and the object is written again', async () => {
    const { repo, layout, a, b, hashB, expected } = await twoSnapshots();
    const root = await rootOf(layout, b);
    await writeFile(objectFile(layout, root), 'garbage');
    expect(await repo.diff({ from: a, to: b })).toEqual(expected);
    expect(await readFile(objectFile(layout, root), 'utf8')).not.toBe('garbage');
    expect(await loadManifest(layout, b, hashB)).toBeDefined();
  });

  it('a pointer naming an absent root, garbage or another payload: same diff', async () => {
    const { repo, layout, a, b, hashB, expected } = await twoSnapshots();
    for (const pointer of [`${'ab'.repeat(32)} ${hashB}\n`, 'not a pointer', `${await rootOf(layout, a)} ${'00'.repeat(32)}\n`]) {
      await writeFile(pointerPath(layout, b), pointer);
      expect(await repo.diff({ from: a, to: b }), pointer).toEqual(expected);
      expect(await readFile(pointerPath(layout, b), 'utf8')).toMatch(/^[0-9a-f]{64} [0-9a-f]{64}\n$/);
    }
  });
});

/** The payload hash a snapshot's pointer was written with. */
async function payloadHash(layout: RepoLayout, id: string): Promise<string> {
  return (await readFile(pointerPath(layout, id), 'utf8')).trim().split(' ')[1]!;
}
