/**
 * The restore planned from what changed (src/restore/delta.ts) must do exactly what the full
 * planner (plan.ts) does. Random trees, random edits between two snapshots and random edits
 * of the worktree after them; for each, the two plans are compared action by action, and a
 * real restore through the delta plan must leave the worktree hashing to the target, its
 * status clean, and the stat cache holding exactly the target's records.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Repository } from '../../src/index.js';
import { readDescriptor } from '../../src/formats/descriptor.js';
import { decodeIndex, getCore } from '../../src/native/index.js';
import { planDelta } from '../../src/restore/delta.js';
import { planRestore, type Action } from '../../src/restore/plan.js';
import { snapshotRecords } from '../../src/snapshot/records.js';
import { hashCacheOf, loadStatCache, trustBefore } from '../../src/statcache/cache.js';
import { freshRepo, tempDir } from '../support/repo.js';
import { edit, rng } from '../support/random-tree.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('delta');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

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
    const diffs = await getCore().scanWorktree(payload, cache.body, trustBefore(cache));
    const delta = await planDelta(repo.layout, payload, cache, diffs, head, target);
    expect(delta, 'planned from the cache').toBeDefined();
    const full = await planRestore(payload, await snapshotRecords(repo, target), undefined, hashCacheOf(cache));
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
