// `jvs gc plan` and `jvs gc run` (§2.10, §7) through the built CLI.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { shortId } from '../../src/cli/format.js';
import { auditEvents, chain, pointMainAt, type Chain } from '../gc/support.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { hasScript, jsonError, jvs, jvsInTerminal } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-gc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));
let n = 0;
const next = (): string => `r${n++}`;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

const planText = (id: string, lineage: number, pin: number, del: number, mb: number): string =>
  `GC Plan: ${id}\n  Protected by lineage: ${lineage} snapshots\n  Protected by pin: ${pin} snapshots\n` +
  `  To delete: ${del} snapshots\n  Estimated reclaim: ~${mb} MB\n\nRun: jvs gc run --plan-id ${id}\n`;

/** The plan id of `gc plan` text output. */
function planIdOf(stdout: string): string {
  const m = new RegExp(`^GC Plan: (${UUID})\n`).exec(stdout);
  if (!m) throw new Error(`no plan id in ${JSON.stringify(stdout)}`);
  return m[1]!;
}

interface PlanJson {
  plan_id: string;
  candidate_count: number;
  to_delete: string[] | null;
  deletable_bytes_estimate: number;
  protected_by_pin: number;
  protected_by_lineage: number;
}

/** Four snapshots in main, head moved back to the first: the last three are unprotected without age retention. */
async function garbage(): Promise<Chain> {
  const c = await chain(tmp, next(), 4);
  await pointMainAt(c.repo, c.ids[0]);
  return c;
}

/** `gc plan --keep-within 0 --json` in `root`. */
function plan(root: string): PlanJson {
  const r = jvs(['gc', 'plan', '--keep-within', '0', '--json'], { cwd: root });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PlanJson;
}

describe('jvs gc plan', () => {
  it('prints the plan on the v8.2 fixture: heads, latests and their ancestors are protected', () => {
    const root = extractFixture(scratch());
    const r = jvs(['gc', 'plan', '--keep-within', '0'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const id = planIdOf(r.stdout);
    // Roots: main's head (first) and latest (chain), feature's head; `second` only by lineage.
    expect(r.stdout).toBe(planText(id, 1, 0, 0, 0));
    expect(existsSync(join(root, '.jvs/gc', `${id}.json`))).toBe(true);
  });

  it('prints the plan object as JSON, null lists when empty; the file is the same object', () => {
    const root = extractFixture(scratch());
    const r = jvs(['gc', 'plan', '--json', '--keep-within', '0', '--keep-last', '2'], { cwd: join(root, '.jvs') });
    expect(r.status).toBe(0);
    const p = JSON.parse(r.stdout) as PlanJson & { created_at: string };
    expect(r.stdout).toBe(
      '{\n' +
        `  "plan_id": "${p.plan_id}",\n` +
        `  "created_at": "${p.created_at}",\n` +
        '  "protected_set": [\n' +
        `    "${FIXTURE_IDS.first}",\n    "${FIXTURE_IDS.second}",\n    "${FIXTURE_IDS.feature}",\n    "${FIXTURE_IDS.chain}"\n` +
        '  ],\n' +
        '  "protected_by_pin": 0,\n' +
        '  "protected_by_lineage": 1,\n' +
        '  "protected_by_retention": 0,\n' +
        '  "candidate_count": 0,\n' +
        '  "to_delete": null,\n' +
        '  "deletable_bytes_estimate": 0,\n' +
        '  "retention_policy": {\n' +
        '    "keep_min_snapshots": 2,\n' +
        '    "keep_min_age": 0\n' +
        '  }\n' +
        '}\n',
    );
    expect(p.plan_id).toMatch(new RegExp(`^${UUID}$`));
    expect(readFileSync(join(root, '.jvs/gc', `${p.plan_id}.json`), 'utf8')).toBe(r.stdout.trimEnd());
  });

  it('an empty repository: candidate_count 0, null lists; the phrases scripts match', async () => {
    const c = await chain(tmp, next(), 0);
    const r = jvs(['gc', 'plan', '--json'], { cwd: c.root });
    expect(r.stdout).toContain('"candidate_count": 0,\n');
    expect(r.stdout).toContain('"protected_set": null,\n');
    expect(r.stdout).toContain('"to_delete": null,\n');
    expect(r.stdout).toMatch(new RegExp(`"plan_id": "${UUID}"`));
    expect(r.stdout).toContain('"protected_by_pin"');
    expect(r.stdout).toContain('"protected_by_lineage"');
    expect(r.stdout).toContain('"keep_min_age": 86400000000000\n');
    const t = jvs(['gc', 'plan'], { cwd: c.root });
    expect(t.stdout).toBe(planText(planIdOf(t.stdout), 0, 0, 0, 0));
  });

  it('counts what can go and its size; pins are counted; audit gc_plan', async () => {
    const c = await garbage();
    // 2.5 MiB in the first deletable snapshot: the estimate is real bytes, shown in whole MB.
    writeFileSync(join(c.root, 'main', 'big.bin'), Buffer.alloc(2.5 * 1048576, 7));
    const big = (await c.repo.snapshot({ worktree: 'main', note: 'big' })).snapshot_id;
    await pointMainAt(c.repo, c.ids[0]);
    const p = plan(c.root);
    expect(p.to_delete).toEqual([...c.ids.slice(1), big].sort());
    expect(p.candidate_count).toBe(4);
    expect(Math.floor(p.deletable_bytes_estimate / 1048576)).toBe(2);
    const r = jvs(['gc', 'plan', '--keep-within', '0'], { cwd: join(c.root, 'main') });
    expect(r.stdout).toBe(planText(planIdOf(r.stdout), 0, 0, 4, 2));
    // A pinned snapshot protects itself and its ancestors.
    expect(jvs(['pin', 'add', c.ids[2]!], { cwd: c.root }).status).toBe(0);
    const pinned = jvs(['gc', 'plan', '--keep-within', '0'], { cwd: c.root });
    expect(pinned.stdout).toBe(planText(planIdOf(pinned.stdout), 1, 1, 2, 2));
    expect((await auditEvents(c.root, 'gc_plan')).length).toBe(3);
  });

  it('retention flags: --keep-last, --keep-within with d/w units, --keep-tag (CSV)', async () => {
    const c = await garbage();
    expect(plan(c.root).candidate_count).toBe(3);
    const count = (...args: string[]): number =>
      (JSON.parse(jvs(['gc', 'plan', '--json', ...args], { cwd: c.root }).stdout) as PlanJson).candidate_count;
    // Retained snapshots protect their ancestors too (§7 step 5): keeping the newest keeps all.
    expect(count('--keep-within', '0', '--keep-last', '1')).toBe(0);
    expect(count('--keep-within', '2w')).toBe(0);
    expect(count('--keep-within=1.5d')).toBe(0);
    expect(count('--keep-within', '0', '--keep-tag', 't1')).toBe(2);
    expect(count('--keep-within', '0', '--keep-tag', 't1,t2')).toBe(1);
    expect(count('--keep-within', '0', '--keep-tag', 't1', '--keep-tag', 't2')).toBe(1);
    // The config's retention applies unless a flag overrides it; `--keep-tag ""` clears its tags.
    writeFileSync(join(c.root, '.jvs/config.yaml'), 'retention:\n    keep: 0\n    within: 0s\n    keep_tags: [t2]\n');
    expect(count()).toBe(1);
    expect(count('--keep-tag', '')).toBe(3);
    expect(count('--keep-tag', 't1')).toBe(2);
    writeFileSync(join(c.root, '.jvs/config.yaml'), 'retention:\n    keep: 1\n    within: 0s\n');
    expect(count()).toBe(0);
    expect(count('--keep-last', '0')).toBe(3);
  });

  it('rejects an invalid DURATION (E_USAGE, exit 2) in pflag words', async () => {
    const c = await chain(tmp, next(), 0);
    const cases: Array<[string, string]> = [
      ['bogus', 'time: invalid duration "bogus"'],
      ['5', 'time: missing unit in duration "5"'],
      ['1y', 'time: unknown unit "y" in duration "1y"'],
    ];
    for (const [v, detail] of cases) {
      const message = `invalid argument "${v}" for "--keep-within" flag: ${detail}`;
      expect(jvs(['gc', 'plan', '--keep-within', v], { cwd: c.root })).toEqual({ stdout: '', stderr: `${message}\n`, status: 2 });
      const j = jvs(['--json', 'gc', 'plan', `--keep-within=${v}`], { cwd: c.root });
      expect(j.status).toBe(2);
      expect(jsonError(j)).toEqual({ code: 'E_USAGE', message, hint: "See 'jvs gc plan --help'." });
    }
    expect(jvs(['gc', 'plan', '--keep-last', 'x'], { cwd: c.root }).stderr).toBe(
      'invalid argument "x" for "--keep-last" flag: strconv.ParseInt: parsing "x": invalid syntax\n',
    );
    // Nothing was planned.
    expect(existsSync(join(c.root, '.jvs/gc')) ? readdirSync(join(c.root, '.jvs/gc')).filter((f) => f.endsWith('.json')) : []).toEqual([]);
  });

  it('global flags anywhere, extra arguments ignored, outside a repository the block', async () => {
    const c = await chain(tmp, next(), 0);
    for (const args of [
      ['--json', 'gc', 'plan'],
      ['gc', '--json', 'plan'],
      ['gc', 'plan', '--json'],
      ['gc', 'plan', 'extra', '--json', 'args'],
    ]) {
      const r = jvs(args, { cwd: c.root });
      expect(r.status, args.join(' ')).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ candidate_count: 0 });
    }
    expect(jvs(['gc', 'plan'], { cwd: scratch() })).toEqual({
      stdout: '',
      stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n',
      status: 1,
    });
  });
});

describe('jvs gc run', () => {
  it('deletes the plan; prints GC completed successfully.; audits gc_run', async () => {
    const c = await garbage();
    const p = plan(c.root);
    expect(p.to_delete).toEqual(c.ids.slice(1));
    const r = jvs(['gc', 'run', '--plan-id', p.plan_id], { cwd: join(c.root, 'main') });
    // No bar into a pipe (§1.2).
    expect(r).toEqual({ stdout: 'GC completed successfully.\n', stderr: '', status: 0 });
    for (const id of c.ids.slice(1)) {
      expect(existsSync(join(c.root, '.jvs/snapshots', id)), id).toBe(false);
      expect(existsSync(join(c.root, '.jvs/gc/tombstones', `${id}.json`))).toBe(true);
    }
    expect(existsSync(join(c.root, '.jvs/snapshots', c.ids[0]!))).toBe(true);
    expect(existsSync(join(c.root, '.jvs/gc', `${p.plan_id}.json`))).toBe(false);
    expect((await auditEvents(c.root, 'gc_run')).map((e) => e.details)).toEqual([{ deleted_count: 3, plan_id: p.plan_id }]);
    // The plan is used up.
    const again = jvs(['gc', 'run', '--plan-id', p.plan_id], { cwd: c.root });
    expect(again).toEqual({
      stdout: '',
      stderr: `jvs: run gc: load plan: open ${c.root}/.jvs/gc/${p.plan_id}.json: no such file or directory\n`,
      status: 1,
    });
  });

  it('--json prints nothing on success; --plan-id=ID and global flags anywhere', async () => {
    const c = await garbage();
    const p = plan(c.root);
    expect(jvs(['gc', '--json', 'run', 'extra', `--plan-id=${p.plan_id}`], { cwd: c.root })).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(existsSync(join(c.root, '.jvs/snapshots', c.ids[1]!))).toBe(false);
    // A plan with nothing to delete runs too.
    const empty = plan(c.root);
    expect(empty.candidate_count).toBe(0);
    expect(jvs(['gc', 'run', '--plan-id', empty.plan_id], { cwd: c.root }).stdout).toBe('GC completed successfully.\n');
  });

  it('missing or empty --plan-id: jvs: --plan-id is required (E_USAGE, exit 2)', async () => {
    const c = await chain(tmp, next(), 0);
    for (const args of [['gc', 'run'], ['gc', 'run', '--plan-id', ''], ['gc', 'run', '--plan-id=']]) {
      expect(jvs(args, { cwd: c.root }), args.join(' ')).toEqual({ stdout: '', stderr: 'jvs: --plan-id is required\n', status: 2 });
      const j = jvs([...args, '--json'], { cwd: c.root });
      expect(j.stdout).toBe('');
      expect(jsonError(j)).toEqual({ code: 'E_USAGE', message: '--plan-id is required', hint: "See 'jvs gc run --help'." });
    }
  });

  it('a missing plan is E_NOT_FOUND; an id that is not one path component E_PATH_ESCAPE', async () => {
    const c = await chain(tmp, next(), 0);
    const path = join(c.root, '.jvs/gc/nope.json');
    expect(jvs(['gc', 'run', '--plan-id', 'nope'], { cwd: c.root })).toEqual({
      stdout: '',
      stderr: `jvs: run gc: load plan: open ${path}: no such file or directory\n`,
      status: 1,
    });
    expect(jsonError(jvs(['gc', 'run', '--plan-id', 'nope', '--json'], { cwd: c.root }))).toEqual({
      code: 'E_NOT_FOUND',
      message: `run gc: load plan: open ${path}: no such file or directory`,
      hint: '',
    });
    for (const id of ['../x', 'a/b', '..', '.']) {
      expect(jvs(['gc', 'run', '--plan-id', id], { cwd: c.root }), id).toEqual({
        stdout: '',
        stderr: `jvs: run gc: E_PATH_ESCAPE: invalid plan id: ${id}\n`,
        status: 1,
      });
    }
    expect(jsonError(jvs(['--json', 'gc', 'run', '--plan-id', '../x'], { cwd: c.root }))).toEqual({
      code: 'E_PATH_ESCAPE',
      message: 'run gc: invalid plan id: ../x',
      hint: '',
    });
  });

  it('refuses a plan whose snapshot became protected (E_GC_PLAN_MISMATCH) and deletes nothing', async () => {
    const c = await garbage();
    const p = plan(c.root);
    expect(jvs(['pin', 'add', c.ids[2]!], { cwd: c.root }).status).toBe(0);
    const r = jvs(['gc', 'run', '--plan-id', p.plan_id], { cwd: c.root });
    // Pinning c.ids[2] protects its parent c.ids[1] too: the first id of the plan is reported.
    expect(r).toEqual({ stdout: '', stderr: `jvs: run gc: E_GC_PLAN_MISMATCH: plan mismatch: ${c.ids[1]} is now protected\n`, status: 1 });
    expect(jsonError(jvs(['gc', 'run', '--plan-id', p.plan_id, '--json'], { cwd: c.root }))).toEqual({
      code: 'E_GC_PLAN_MISMATCH',
      message: `run gc: plan mismatch: ${c.ids[1]} is now protected`,
      hint: '',
    });
    for (const id of c.ids) expect(existsSync(join(c.root, '.jvs/snapshots', id)), id).toBe(true);
  });

  it('refuses an expired plan (E_GC_PLAN_MISMATCH); the v8.2 fixture plan is judged the same way', async () => {
    const c = await garbage();
    const p = plan(c.root);
    // A plan as v8.2 writes it (no extras), made long ago: it expired an hour later.
    const file = join(c.root, '.jvs/gc', `${p.plan_id}.json`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"created_at": "[^"]*"/, '"created_at": "2020-01-02T03:04:05.5Z"'));
    unlinkSync(join(c.root, '.jvs/ext/gc', `${p.plan_id}.json`));
    const r = jvs(['gc', 'run', '--plan-id', p.plan_id], { cwd: c.root });
    expect(r).toEqual({
      stdout: '',
      stderr: `jvs: run gc: E_GC_PLAN_MISMATCH: plan ${p.plan_id} expired at 2020-01-02T04:04:05.5Z; run jvs gc plan again\n`,
      status: 1,
    });
    for (const id of c.ids) expect(existsSync(join(c.root, '.jvs/snapshots', id)), id).toBe(true);
  });

  describe.skipIf(!hasScript)('under a terminal', () => {
    it('draws the bar on stderr, redrawn with \\r, and leaves the final line', async () => {
      const c = await garbage();
      const p = plan(c.root);
      const r = jvsInTerminal(['gc', 'run', '--plan-id', p.plan_id], { cwd: c.root });
      expect(r.status).toBe(0);
      const [a, b, d] = c.ids.slice(1).map(shortId);
      expect(r.stdout).toBe(
        `\rGC [==========                    ] 1/3 (33%) deleting ${a}\x1b[K` +
          `\rGC [====================          ] 2/3 (66%) deleting ${b}\x1b[K` +
          `\rGC [==============================] 3/3 (100%) deleting ${d}\x1b[K` +
          '\r\x1b[KGC [==============================] 3/3 (100%) deleted 3 snapshots\r\n' +
          'GC completed successfully.\r\n',
      );
    });

    it('no bar with --no-progress or --json', async () => {
      const c = await garbage();
      expect(jvsInTerminal(['gc', 'run', '--no-progress', '--plan-id', plan(c.root).plan_id], { cwd: c.root })).toMatchObject({
        stdout: 'GC completed successfully.\r\n',
        status: 0,
      });
      const c2 = await garbage();
      expect(jvsInTerminal(['gc', 'run', '--json', '--plan-id', plan(c2.root).plan_id], { cwd: c2.root })).toMatchObject({ stdout: '', status: 0 });
    });

    it('a missing plan is reported before the bar, without "run gc: "', async () => {
      const c = await chain(tmp, next(), 0);
      const r = jvsInTerminal(['gc', 'run', '--plan-id', 'nope', '--no-color'], { cwd: c.root });
      expect(r).toMatchObject({ stdout: `jvs: load plan: open ${c.root}/.jvs/gc/nope.json: no such file or directory\r\n`, status: 1 });
      // The id check keeps its context.
      expect(jvsInTerminal(['gc', 'run', '--plan-id', '../x', '--no-color'], { cwd: c.root }).stdout).toBe(
        'jvs: run gc: E_PATH_ESCAPE: invalid plan id: ../x\r\n',
      );
    });
  });
});
