/**
 * The streaming tree builder (src/manifest/tree.ts TreeBuilder) must build exactly the objects
 * a direct construction does — each directory's children, sorted by name, encoded — whatever
 * the names: siblings that extend a directory's name with bytes below `/` (`a-b`, `a.c`, `a0`)
 * come between the directory and its contents in path order. And a manifest written from an
 * index (writeIndexManifest) is the one written from the records.
 */
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pointerPath, writeIndexManifest, writeManifest } from '../../src/manifest/store.js';
import { buildTrees, encodeTree, sha256, type TreeEntry } from '../../src/manifest/tree.js';
import { getCore, type HashRecord } from '../../src/native/index.js';
import { rng } from '../support/random-tree.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('tree-builder');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The root id by direct construction: every directory from its children, recursively. */
function reference(records: readonly HashRecord[]): string {
  const byPath = new Map(records.map((r) => [r.path.toString('latin1'), r]));
  const children = new Map<string, string[]>();
  const dirs = new Set<string>(['']);
  for (const r of records) {
    let p = r.path.toString('latin1');
    if (r.kind === 'dir') dirs.add(p);
    // Every ancestor is a directory, recorded or not (a `.READY` directory).
    for (;;) {
      const i = p.lastIndexOf('/');
      const parent = i < 0 ? '' : p.slice(0, i);
      const list = children.get(parent) ?? [];
      if (!list.includes(p)) list.push(p);
      children.set(parent, list);
      if (parent === '' || dirs.has(parent)) break;
      dirs.add(parent);
      p = parent;
    }
  }
  const id = (dir: string): Buffer => {
    const entries: TreeEntry[] = (children.get(dir) ?? []).map((p) => {
      const name = Buffer.from(p.slice(p.lastIndexOf('/') + 1), 'latin1');
      const r = byPath.get(p);
      if (!r || r.kind === 'dir') return { name, kind: r ? 'dir' : 'unrecorded-dir', perm: r?.perm ?? 0, size: 0, hash: id(p) };
      return { name, kind: r.kind, perm: r.perm, size: r.size, hash: Buffer.from(r.hash, 'hex'), ...(r.kind === 'symlink' ? { target: r.target ?? Buffer.alloc(0) } : {}) };
    });
    return sha256(encodeTree(entries.sort((a, b) => Buffer.compare(a.name, b.name))));
  };
  return id('').toString('hex');
}

const NAMES = ['a', 'a-b', 'a.c', 'a0', 'a;', 'b', '.READY', 'z\x01', 'é'];

function randomRecords(seed: number): HashRecord[] {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const records = new Map<string, HashRecord>();
  const dirs = [''];
  for (let i = 0; i < 60; i++) {
    const parent = pick(dirs);
    const path = Buffer.from(parent ? `${parent}/${pick(NAMES)}` : pick(NAMES), 'latin1');
    const key = path.toString('latin1');
    if (records.has(key) || dirs.includes(key)) continue;
    const kind = pick(['dir', 'dir', 'file', 'symlink'] as const);
    const hash = sha256(`${seed} ${i}`).toString('hex');
    // A `.READY` directory has no record of its own: only its children do.
    if (kind === 'dir') {
      dirs.push(key);
      if (!key.endsWith('.READY')) records.set(key, { kind, path, perm: 0o755, size: 0, hash: '0'.repeat(64) });
      continue;
    }
    if (key.endsWith('.READY')) continue;
    records.set(key, { kind, path, perm: 0o644, size: i, hash, ...(kind === 'symlink' ? { target: Buffer.from(`t${i}`) } : {}) });
  }
  return [...records.values()];
}

describe('tree builder', () => {
  it.each(Array.from({ length: 50 }, (_, i) => 100 + i))('builds what a direct construction builds (seed %i)', (seed) => {
    const records = randomRecords(seed);
    const built = buildTrees(records);
    expect(built.root).toBe(reference(records));
    // Children before their parents: the root last.
    expect(built.objects.at(-1)!.id).toBe(built.root);
  });

  it('a manifest from the index is the manifest from the records', async () => {
    const { repo, root } = await freshRepo(tmp, 'from-index');
    const tree = join(root, 'main');
    for (const n of ['a', 'a-b', 'a.c', 'a0', 'b']) {
      await mkdir(join(tree, n, 'sub'), { recursive: true });
      await writeFile(join(tree, n, 'sub', 'f'), n);
      await writeFile(join(tree, `${n}.txt`), n);
    }
    await symlink('a.txt', join(tree, 'a/link'));
    await mkdir(join(tree, 'b/.READY/inner'), { recursive: true });
    await writeFile(join(tree, 'b/.READY/inner/g'), 'g');
    const indexed = await getCore().hashTreeIndex(tree);
    const hashed = await getCore().hashTree(tree, { records: true });
    expect(indexed.rootHash).toBe(hashed.rootHash);
    const fromIndex = await writeIndexManifest(repo.layout, 'one', indexed.index, tree, indexed.rootHash);
    const fromRecords = await writeManifest(repo.layout, 'two', hashed.records!, hashed.rootHash);
    expect(fromIndex.root).toBe(fromRecords.root);
    expect((await readFile(pointerPath(repo.layout, 'one'), 'utf8')).split(' ')[0]).toBe(fromRecords.root);
  });
});
