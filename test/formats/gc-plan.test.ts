import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JvsError } from '../../src/errors.js';
import {
  encodeGcPlan,
  gcPlanJson,
  newPlanId,
  parseGcPlan,
  planExpiresAt,
  readGcPlan,
  readGcPlanExtras,
  removeGcPlan,
  validatePlanId,
  writeGcPlan,
  type GcPlan,
} from '../../src/formats/gc-plan.js';
import { encodeJsonOutput } from '../../src/encoding/json.js';
import { RepoLayout } from '../../src/repo/layout.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';

const V82_PLAN_ID = 'a82694ef-ab46-4969-a803-372a321ac725';

let tmp: string;
let layout: RepoLayout;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-gcplan-'));
  layout = new RepoLayout(extractFixture(tmp));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function plan(over: Partial<GcPlan> = {}): GcPlan {
  return {
    plan_id: '0f0e0d0c-0b0a-4908-8706-050403020100',
    created_at: '2026-11-21T12:00:00.5Z',
    protected_set: [],
    protected_by_pin: 0,
    protected_by_lineage: 0,
    protected_by_retention: 0,
    candidate_count: 0,
    to_delete: [],
    deletable_bytes_estimate: 0,
    retention_policy: { keep_min_snapshots: 0, keep_min_age: 86_400_000_000_000n },
    ...over,
  };
}

describe('v8.2 plan (fixture)', () => {
  it('reads it, keeping its unsorted protected_set as stored', async () => {
    const p = await readGcPlan(layout, V82_PLAN_ID);
    expect(p.plan_id).toBe(V82_PLAN_ID);
    expect(p.created_at).toBe('2026-11-21T12:17:00.965831151Z');
    expect(p.protected_set).toEqual([FIXTURE_IDS.second, FIXTURE_IDS.chain, FIXTURE_IDS.first, FIXTURE_IDS.feature]);
    expect(p.to_delete).toEqual([]);
    expect(p.protected_by_retention).toBe(2);
    expect(p.retention_policy).toEqual({ keep_min_snapshots: 0, keep_min_age: 86_400_000_000_000n });
  });

  it('re-encodes byte for byte except that our writes sort protected_set', async () => {
    const text = await readFile(layout.gcPlan(V82_PLAN_ID), 'utf8');
    const sorted = [FIXTURE_IDS.first, FIXTURE_IDS.second, FIXTURE_IDS.feature, FIXTURE_IDS.chain].sort();
    const expected = text.replace(/"protected_set": \[[^\]]*\]/, `"protected_set": [\n${sorted.map((id) => `    "${id}"`).join(',\n')}\n  ]`);
    expect(expected).not.toBe(text);
    expect(encodeGcPlan(parseGcPlan(text))).toBe(expected);
  });

  it('expires one hour after created_at when it has no extras', async () => {
    expect(await readGcPlanExtras(layout, V82_PLAN_ID)).toBeUndefined();
    const p = await readGcPlan(layout, V82_PLAN_ID);
    expect(planExpiresAt(p, undefined)?.normalized).toBe('2026-11-21T13:17:00.965831151Z');
  });
});

describe('encoding (§3.8)', () => {
  it('prints empty lists as null, fields in contract order, durations as integer ns', () => {
    expect(encodeGcPlan(plan())).toBe(
      [
        '{',
        '  "plan_id": "0f0e0d0c-0b0a-4908-8706-050403020100",',
        '  "created_at": "2026-11-21T12:00:00.5Z",',
        '  "protected_set": null,',
        '  "protected_by_pin": 0,',
        '  "protected_by_lineage": 0,',
        '  "protected_by_retention": 0,',
        '  "candidate_count": 0,',
        '  "to_delete": null,',
        '  "deletable_bytes_estimate": 0,',
        '  "retention_policy": {',
        '    "keep_min_snapshots": 0,',
        '    "keep_min_age": 86400000000000',
        '  }',
        '}',
      ].join('\n'),
    );
  });

  it('sorts ids byte-wise (not by UTF-16 code units or locale)', () => {
    const json = gcPlanJson(plan({ to_delete: ['b', 'B', '\u{1F600}', '\uFF21', 'a.tmp', 'a'], protected_set: ['z', 'y'] })) as Record<string, unknown>;
    expect(json['to_delete']).toEqual(['B', 'a', 'a.tmp', 'b', '\uFF21', '\u{1F600}']);
    expect(json['protected_set']).toEqual(['y', 'z']);
  });

  it('keeps durations past 2^53 exact', () => {
    const text = encodeJsonOutput(gcPlanJson(plan({ retention_policy: { keep_min_snapshots: 3, keep_min_age: 9_007_199_254_740_993n } })));
    expect(text).toContain('"keep_min_age": 9007199254740993\n');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('reports wrong types like Go', () => {
    expect(() => parseGcPlan('{"to_delete": "x"}')).toThrow('json: cannot unmarshal string into Go struct field GCPlan.to_delete of type []string');
    expect(() => parseGcPlan('{"candidate_count": 1.5}')).toThrow('json: cannot unmarshal number into Go struct field GCPlan.candidate_count of type int64');
    expect(() => parseGcPlan('[]')).toThrow('json: cannot unmarshal array into Go value of type GCPlan');
    expect(() => parseGcPlan('{"retention_policy": {"keep_min_age": "1h"}}')).toThrow('RetentionPolicy.keep_min_age of type int64');
  });
});

describe('plan files', () => {
  it('writes plan and extras atomically (0644) and reads them back', async () => {
    const p = plan({ plan_id: newPlanId(), to_delete: ['2', '1'], candidate_count: 2, deletable_bytes_estimate: 12345 });
    await writeGcPlan(layout, p, ['release']);
    const planStat = await stat(layout.gcPlan(p.plan_id));
    expect(planStat.mode & 0o777).toBe(0o644);
    expect(await readFile(layout.gcPlan(p.plan_id), 'utf8')).toBe(encodeGcPlan(p));
    expect((await readGcPlan(layout, p.plan_id)).to_delete).toEqual(['1', '2']);
    const extras = await readGcPlanExtras(layout, p.plan_id);
    expect(extras).toEqual({ keep_tags: ['release'], expires_at: '2026-11-21T13:00:00.5Z' });
    expect(await readFile(layout.gcExtras(p.plan_id), 'utf8')).toBe(
      '{\n  "keep_tags": [\n    "release"\n  ],\n  "expires_at": "2026-11-21T13:00:00.5Z"\n}',
    );
    expect(planExpiresAt(p, extras)?.ns).toBe(planExpiresAt(p, undefined)?.ns);
    expect((await readdir(layout.gcDir)).filter((n) => n.startsWith('.jvs-tmp-'))).toEqual([]);

    await removeGcPlan(layout, p.plan_id);
    await removeGcPlan(layout, p.plan_id);
    await expect(stat(layout.gcPlan(p.plan_id))).rejects.toThrow();
    expect(await readGcPlanExtras(layout, p.plan_id)).toBeUndefined();
  });

  it('prefers the extras expiry, and gives none when no time parses', () => {
    expect(planExpiresAt(plan(), { keep_tags: [], expires_at: '2030-01-01T00:00:00Z' })?.normalized).toBe('2030-01-01T00:00:00Z');
    expect(planExpiresAt(plan({ created_at: 'garbage' }), undefined)).toBeUndefined();
  });

  it('missing plan → E_NOT_FOUND with Go open error text', async () => {
    const id = newPlanId();
    const err = await readGcPlan(layout, id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JvsError);
    expect((err as JvsError).code).toBe('E_NOT_FOUND');
    expect((err as JvsError).message).toBe(`load plan: open ${layout.gcPlan(id)}: no such file or directory`);
  });

  it('unparsable plan → E_IO load plan', async () => {
    const id = newPlanId();
    await writeFile(layout.gcPlan(id), '{"plan_id": 5}');
    await expect(readGcPlan(layout, id)).rejects.toMatchObject({
      code: 'E_IO',
      message: 'load plan: json: cannot unmarshal number into Go struct field GCPlan.plan_id of type string',
    });
  });

  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', 'a\0b'])('rejects plan id %j before touching a path', async (id) => {
    expect(() => validatePlanId(id)).toThrow(`E_PATH_ESCAPE: invalid plan id: ${id}`);
    await expect(readGcPlan(layout, id)).rejects.toMatchObject({ code: 'E_PATH_ESCAPE', message: `E_PATH_ESCAPE: invalid plan id: ${id}` });
  });

  it('new plan ids are lower-case UUID v4', () => {
    expect(newPlanId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
