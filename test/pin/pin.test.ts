import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { formatTimestamp, nowNs, parseTimestamp } from '../../src/encoding/timestamp.js';
import { encodePin } from '../../src/formats/pin.js';
import { gcPlan, gcRun } from '../../src/gc/index.js';
import { withRepoLock } from '../../src/locks/index.js';
import { pinAdd, pinList, pinRemove } from '../../src/pin/index.js';
import { tempDir } from '../support/repo.js';
import { auditEvents, chain, pointMainAt } from '../gc/support.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('pin');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;
const next = (): string => `r${n++}`;
const HOUR = 3_600_000_000_000n;

describe('pin add', () => {
  it('pins by exact id or unique fuzzy match; writes a v8.2-readable file; audits pin_add', async () => {
    const c = await chain(tmp, next(), 3);
    const before = nowNs();
    const p = await pinAdd(c.repo, c.ids[0]!, { reason: 'release <1.0>', expires: HOUR });
    const after = nowNs();
    expect(p.snapshot_id).toBe(c.ids[0]);
    expect(p.reason).toBe('release <1.0>');
    const pinned = parseTimestamp(p.pinned_at)!.ns;
    expect(pinned >= before && pinned <= after).toBe(true);
    expect(p.expires_at).toBe(formatTimestamp(pinned + HOUR));
    const text = await readFile(join(c.root, '.jvs/pins', `${c.ids[0]}.json`), 'utf8');
    expect(text).toBe(
      `{\n  "snapshot_id": "${c.ids[0]}",\n  "pinned_at": "${p.pinned_at}",\n  "reason": "release \\u003c1.0\\u003e",\n  "expires_at": "${p.expires_at}"\n}`,
    );

    const byNote = await pinAdd(c.repo, 'note 1');
    expect(byNote).toEqual({ snapshot_id: c.ids[1], pinned_at: byNote.pinned_at });
    expect(await readFile(join(c.root, '.jvs/pins', `${c.ids[1]}.json`), 'utf8')).toBe(encodePin(byNote));
    const byTag = await pinAdd(c.repo, 't2');
    expect(byTag.snapshot_id).toBe(c.ids[2]);

    expect((await auditEvents(c.root, 'pin_add')).map((e) => [e.snapshot_id, e.details])).toEqual([
      [c.ids[0], { expires_at: p.expires_at, reason: 'release <1.0>' }],
      [c.ids[1], undefined],
      [c.ids[2], undefined],
    ]);
  });

  it('replaces the existing pin of that snapshot', async () => {
    const c = await chain(tmp, next(), 1);
    await pinAdd(c.repo, c.ids[0]!, { reason: 'first', expires: HOUR });
    const second = await pinAdd(c.repo, c.ids[0]!, { reason: 'second' });
    expect(await pinList(c.repo)).toEqual([second]);
    expect(second.expires_at).toBeUndefined();
  });

  it('a ref that does not resolve is the not-found block; an ambiguous one says so', async () => {
    const c = await chain(tmp, next(), 2);
    await expect(pinAdd(c.repo, 'nothing-like-it')).rejects.toMatchObject({ code: 'E_NOT_FOUND', shape: 'block', message: "snapshot 'nothing-like-it' not found" });
    await expect(pinAdd(c.repo, 'note')).rejects.toMatchObject({ code: 'E_AMBIGUOUS_REF' });
    expect(await pinList(c.repo)).toEqual([]);
  });

  it('waits for a running gc (repository lock), then fails with E_LOCKED', async () => {
    const c = await chain(tmp, next(), 1);
    await withRepoLock(c.repo.layout, 'jvs gc run --plan-id x', async () => {
      await expect(pinAdd(c.repo, c.ids[0]!, { lock: { timeoutMs: 200 } })).rejects.toMatchObject({
        code: 'E_LOCKED',
        message: expect.stringMatching(/^E_LOCKED: repository is locked by jvs gc run --plan-id x \(pid \d+ on /),
      });
      await expect(pinRemove(c.repo, c.ids[0]!, { lock: { timeoutMs: 200 } })).rejects.toMatchObject({ code: 'E_LOCKED' });
    });
    expect(await pinList(c.repo)).toEqual([]);
  });
});

describe('pin list', () => {
  it('sorts by snapshot id then pinned_at, keeps expired pins, warns about invalid files', async () => {
    const c = await chain(tmp, next(), 2);
    const b = await pinAdd(c.repo, c.ids[1]!);
    const a = await pinAdd(c.repo, c.ids[0]!, { expires: -HOUR });
    const older = { snapshot_id: c.ids[1]!, pinned_at: '2020-01-01T00:00:00Z', reason: 'v8.2 pin' };
    await writeFile(join(c.root, '.jvs/pins/zz-by-hand.json'), encodePin(older));
    await writeFile(join(c.root, '.jvs/pins/bad.json'), '{');
    await writeFile(join(c.root, '.jvs/pins/notes.txt'), 'not a pin');
    expect(await pinList(c.repo)).toEqual([a, older, b]);
    expect(c.warnings).toEqual([expect.stringMatching(/^skipping invalid pin bad\.json: /)]);
  });

  it('is empty without a pins directory, and appends no audit record', async () => {
    const c = await chain(tmp, next(), 1);
    expect(await pinList(c.repo)).toEqual([]);
    expect(await auditEvents(c.root, 'pin_list')).toEqual([]);
  });
});

describe('pin remove', () => {
  it('removes every pin file of the resolved snapshot; audits pin_remove', async () => {
    const c = await chain(tmp, next(), 2);
    await pinAdd(c.repo, c.ids[0]!);
    await pinAdd(c.repo, c.ids[1]!);
    await writeFile(join(c.root, '.jvs/pins/by-hand.json'), encodePin({ snapshot_id: c.ids[0]!, pinned_at: formatTimestamp(nowNs()) }));
    expect(await pinRemove(c.repo, 't0')).toEqual({ snapshot_id: c.ids[0], removed: 2 });
    expect((await pinList(c.repo)).map((p) => p.snapshot_id)).toEqual([c.ids[1]]);
    expect((await auditEvents(c.root, 'pin_remove')).map((e) => [e.snapshot_id, e.details])).toEqual([[c.ids[0], { removed: 2 }]]);
    await expect(pinRemove(c.repo, c.ids[0]!)).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: `pin remove: no pin for snapshot ${c.ids[0]}` });
  });

  it('removes the pin of a snapshot GC deleted after the pin expired, by id or id prefix', async () => {
    const c = await chain(tmp, next(), 3);
    await pointMainAt(c.repo, c.ids[0]);
    await pinAdd(c.repo, c.ids[1]!, { expires: -HOUR });
    await pinAdd(c.repo, c.ids[2]!, { expires: -HOUR });
    const plan = await gcPlan(c.repo, { keepWithin: 0n });
    expect(plan.to_delete).toEqual([c.ids[1], c.ids[2]]);
    await gcRun(c.repo, plan.plan_id);
    expect(await pinRemove(c.repo, c.ids[1]!)).toEqual({ snapshot_id: c.ids[1], removed: 1 });
    const prefix = c.ids[2]!.slice(0, 16);
    expect(await pinRemove(c.repo, prefix)).toEqual({ snapshot_id: c.ids[2], removed: 1 });
    await expect(pinRemove(c.repo, 'gone')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: 'pin remove: no pin for snapshot gone' });
  });

  it('a prefix shared by pins of several deleted snapshots is ambiguous', async () => {
    const c = await chain(tmp, next(), 1);
    const ghosts = ['1700000000000-aaaaaaaa', '1700000000000-aaaabbbb'];
    await mkdir(join(c.root, '.jvs/pins'));
    for (const id of ghosts) await writeFile(join(c.root, '.jvs/pins', `${id}.json`), encodePin({ snapshot_id: id, pinned_at: '2020-01-01T00:00:00Z' }));
    await expect(pinRemove(c.repo, '1700000000000-aaaa')).rejects.toMatchObject({ code: 'E_AMBIGUOUS_REF' });
    expect(await pinRemove(c.repo, ghosts[1]!)).toEqual({ snapshot_id: ghosts[1], removed: 1 });
  });
});
