/**
 * The restore planned from what changed (src/restore/delta.ts) must do exactly what the full
 * planner (plan.ts) does. Random trees, random edits between two snapshots and random edits
 * of the worktree after them; for each, the two plans are compared action by action, and a
 * real restore through the delta plan must leave the worktree hashing to the target, its
 * status clean, and the stat cache holding exactly the target's records.
 */
import { chmod, lstat, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Repository } from '../../src/index.js';
import { readDescriptor } from '../../src/formats/descriptor.js';
import { decodeIndex, getCore } from '../../src/native/index.js';
import { planDelta } from '../../src/restore/delta.js';
import { planRestore, type Action } from '../../src/restore/plan.js';
import { snapshotRecords } from '../../src/snapshot/records.js';
import { loadHashCache, loadStatCache, trustBefore } from '../../src/statcache/cache.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('delta');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'a-b', 'a.b', 'c d', 'x'];

/** Every path under dir (relative), directories included. */
async function listAll(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix)).catch(() => [])).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    out.push(rel);
    if ((await lstat(join(dir, rel))).isDirectory()) out.push(...(await listAll(dir, rel)));
  }
  return out;
}

/** One random edit of the tree under `dir`. */
async function edit(dir: string, r: () => number): Promise<void> {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const all = await listAll(dir);
  const existing = all.length > 0 && r() < 0.7 ? pick(all) : undefined;
  const parentDirs = [''];
  for (const p of all) if ((await lstat(join(dir, p))).isDirectory()) parentDirs.push(p);
  const fresh = join(pick(parentDirs), pick(NAMES)).replace(/^\//, '');
  const p = existing ?? fresh;
  const abs = join(dir, p);
  const st = await lstat(abs).catch(() => undefined);
  const op = Math.floor(r() * 8);
  if (st && op === 0) await rm(abs, { recursive: true, force: true });
  else if (st?.isFile() && op === 1) await writeFile(abs, `${p}:${Math.floor(r() * 3)}`.padEnd(8, '.').slice(0, 8)); // same size, maybe same content
  else if (st?.isFile() && op === 2) await writeFile(abs, `longer content of ${p} ${r()}`);
  else if (st && !st.isSymbolicLink() && op === 3) await chmod(abs, pick([0o600, 0o644, 0o755, 0o700]));
  else if (st && op === 4) {
    await rm(abs, { recursive: true, force: true });
    await symlink(pick(['a', '../x', 'nowhere']), abs);
  } else if (st && op === 5) {
    await rm(abs, { recursive: true, force: true });
    await mkdir(join(abs, 'sub'), { recursive: true });
    await writeFile(join(abs, 'sub', 'f'), `in ${p}`);
  } else if (!st) {
    if (r() < 0.3) await mkdir(abs, { recursive: true });
    else await writeFile(abs, `new ${p}`.padEnd(8, '.').slice(0, 8));
  } else if (st.isFile()) await writeFile(abs, `${p}`.padEnd(8, '#').slice(0, 8));
}

const actionKey = (a: Action): string => {
  const p = a.path.toString('latin1');
  if (a.op === 'put') return `put ${p} ${a.record.kind} ${a.record.hash} ${a.record.perm}`;
  if (a.op === 'remove') return `remove ${p} ${a.kind}`;
  return `${a.op} ${p} ${a.perm}`;
};

async function scenario(seed: number): Promise<{ repo: Repository; root: string; a: string; b: string }> {
  const r = rng(seed);
  const { repo, root } = await freshRepo(tmp, `s${seed}`);
  const main = join(root, 'main');
  for (let i = 0; i < 12; i++) await edit(main, r);
  const a = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
  for (let i = 0; i < 1 + Math.floor(r() * 6); i++) await edit(main, r);
  const b = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
  for (let i = 0; i < Math.floor(r() * 5); i++) await edit(main, r);
  return { repo, root, a, b };
}

describe('delta restore plans like the full planner', () => {
  it.each(Array.from({ length: 40 }, (_, i) => 1000 + i))('seed %i', async (seed) => {
    const { repo, root, a, b } = await scenario(seed);
    const payload = join(root, 'main');
    const [head, target] = await Promise.all([readDescriptor(repo.layout.descriptor(b)), readDescriptor(repo.layout.descriptor(a))]);
    const cache = (await loadStatCache(repo.layout, 'main'))!;
    expect(cache.base).toBe(b);
    const diffs = await getCore().scanWorktree(payload, cache.body, trustBefore(cache.takenNs));
    const delta = await planDelta(repo.layout, payload, cache, diffs, head, target);
    expect(delta, 'planned from the cache').toBeDefined();
    const full = await planRestore(payload, await snapshotRecords(repo, target), undefined, await loadHashCache(repo.layout, 'main'));
    expect(delta!.actions.map(actionKey).sort()).toEqual(full.actions.map(actionKey).sort());

    // Unsaved work is whatever status reports at a path the plan overwrites or removes.
    const st = await repo.status('main');
    const overwritten = new Set(full.overwritten.map((p) => p.toString('latin1')));
    const changed = [...st.added, ...st.modified].map((c) => c.path.toString('latin1'));
    expect(delta!.unsaved, `unsaved: status ${JSON.stringify(changed)}`).toBe(changed.some((p) => overwritten.has(p)));

    // Through the real restore (which takes the delta path: the status above kept the cache's base).
    const done = await repo.restore({ worktree: 'main', ref: a });
    expect(done.safety_snapshot_id !== undefined).toBe(delta!.unsaved);
    expect((await getCore().hashTree(payload)).rootHash).toBe(target.payload_root_hash);
    expect((await repo.status('main')).clean).toBe(true);
    const after = (await loadStatCache(repo.layout, 'main'))!;
    expect(after.base).toBe(a);
    const recs = (await snapshotRecords(repo, target)).map((x) => `${x.kind} ${x.path.toString('latin1')} ${x.perm} ${x.size} ${x.hash}`).sort();
    expect([...decodeIndex(after.body)].map((x) => `${x.kind} ${x.path.toString('latin1')} ${x.perm} ${x.size} ${x.hash}`).sort()).toEqual(recs);
  });
});
