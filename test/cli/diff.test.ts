// `jvs diff` (§2.5) through the built CLI.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));
const ENV = { JVS_ENGINE: 'copy' };
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

function snap(cwd: string, ...args: string[]): string {
  const r = jvs(['snapshot', '--json', ...args], { cwd, env: ENV });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { snapshot_id: string }).snapshot_id;
}

/** `YYYY-MM-DD HH:MM:SS` of a descriptor, in UTC. */
function second(root: string, id: string): string {
  const created = (JSON.parse(readFileSync(join(root, '.jvs/descriptors', `${id}.json`), 'utf8')) as { created_at: string }).created_at;
  return `${created.slice(0, 10)} ${created.slice(11, 19)}`;
}

describe('jvs diff', () => {
  let root: string;
  let main: string;
  let v1: string;
  let v2: string;
  beforeAll(() => {
    const dir = scratch();
    jvs(['init', 'r'], { cwd: dir });
    root = join(dir, 'r');
    main = join(root, 'main');
    writeFileSync(join(main, 'a.txt'), 'one');
    writeFileSync(join(main, 'b.txt'), 'bee');
    mkdirSync(join(main, 'd', 'empty'), { recursive: true });
    writeFileSync(join(main, 'd', 'c.txt'), 'c');
    writeFileSync(join(main, 'mode.sh'), '#!/bin/sh\n');
    symlinkSync('a.txt', join(main, 'link'));
    v1 = snap(main, 'first', '--tag', 'v1');
    writeFileSync(join(main, 'a.txt'), 'two!!');
    unlinkSync(join(main, 'b.txt'));
    writeFileSync(join(main, 'new.txt'), 'fresh');
    writeFileSync(join(main, 'd', 'c.txt'), 'x');
    rmSync(join(main, 'd', 'empty'), { recursive: true });
    chmodSync(join(main, 'mode.sh'), 0o755); // mode-only: not reported
    unlinkSync(join(main, 'link'));
    symlinkSync('b.txt', join(main, 'link'));
    v2 = snap(main, 'second', '--tag', 'v2');
  });

  const sections = ['', 'Added (1):', '  + new.txt', '', 'Removed (1):', '  - b.txt', '', 'Modified (3):', '  ~ a.txt (3 -> 5 bytes)', '  ~ d/c.txt', '  ~ link'];

  it('two refs: header, times, sections (sizes only when they differ); works from the repo root', () => {
    const expected = [`Diff ${v1.slice(0, 8)} -> ${v2.slice(0, 8)}`, `From: ${second(root, v1)}`, `To:   ${second(root, v2)}`, ...sections, ''].join('\n');
    for (const cwd of [root, join(root, '.jvs'), main]) {
      expect(jvs(['diff', 'v1', 'v2'], { cwd }), cwd).toEqual({ stdout: expected, stderr: '', status: 0 });
    }
    // No arguments: the two newest snapshots of the repository.
    expect(jvs(['diff'], { cwd: root }).stdout).toBe(expected);
    // Reversed.
    expect(jvs(['diff', v2, v1], { cwd: root }).stdout).toContain('\nAdded (1):\n  + b.txt\n\nRemoved (1):\n  - new.txt\n\nModified (3):\n  ~ a.txt (5 -> 3 bytes)\n');
  });

  it('--stat prints one line; --json wins over it', () => {
    expect(jvs(['diff', 'v1', 'v2', '--stat'], { cwd: root })).toEqual({ stdout: 'Added: 1, Removed: 1, Modified: 3\n', stderr: '', status: 0 });
    expect(JSON.parse(jvs(['diff', '--stat', '--json'], { cwd: root }).stdout)).toMatchObject({ total_added: 1 });
  });

  it('--json: the documented keys and change objects', () => {
    const r = jvs(['diff', 'v1', 'v2', '--json'], { cwd: root });
    const d1 = JSON.parse(readFileSync(join(root, '.jvs/descriptors', `${v1}.json`), 'utf8')) as { created_at: string };
    const d2 = JSON.parse(readFileSync(join(root, '.jvs/descriptors', `${v2}.json`), 'utf8')) as { created_at: string };
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['from_snapshot_id', 'to_snapshot_id', 'from_time', 'to_time', 'added', 'removed', 'modified', 'total_added', 'total_removed', 'total_modified']);
    expect(j).toMatchObject({ from_snapshot_id: v1, to_snapshot_id: v2, from_time: d1.created_at, to_time: d2.created_at, total_added: 1, total_removed: 1, total_modified: 3 });
    expect(j['added']).toEqual([{ path: 'new.txt', type: 'added', mode: 420, size: 5, new_hash: sha('fresh') }]);
    expect(j['removed']).toEqual([{ path: 'b.txt', type: 'removed', mode: 420, size: 3, old_hash: sha('bee') }]);
    expect(j['modified']).toEqual([
      { path: 'a.txt', type: 'modified', mode: 420, size: 5, old_size: 3, old_hash: sha('one'), new_hash: sha('two!!') },
      { path: 'd/c.txt', type: 'modified', mode: 420, size: 1, old_size: 1, old_hash: sha('c'), new_hash: sha('x') },
      { path: 'link', type: 'modified', mode: 134218239, size: 5, old_size: 5, old_hash: sha('a.txt'), new_hash: sha('b.txt'), is_symlink: true },
    ]);
    expect(r.stdout).toContain('\n  "added": [\n    {\n      "path": "new.txt",\n');
  });

  it('identical snapshots: `No changes.`; JSON lists are null', () => {
    const same = snap(main, 'same');
    const expected = [`Diff ${v2.slice(0, 8)} -> ${same.slice(0, 8)}`, `From: ${second(root, v2)}`, `To:   ${second(root, same)}`, '', 'No changes.', ''].join('\n');
    expect(jvs(['diff', 'v2', same], { cwd: root }).stdout).toBe(expected);
    const j = JSON.parse(jvs(['diff', 'v2', same, '--json'], { cwd: root }).stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ added: null, removed: null, modified: null, total_added: 0, total_removed: 0, total_modified: 0 });
    expect(jvs(['diff', 'v2', same, '--stat'], { cwd: root }).stdout).toBe('Added: 0, Removed: 0, Modified: 0\n');
  });

  it('one ref: the snapshot against the worktree as it is now (pure JSON, to_snapshot_id "")', () => {
    writeFileSync(join(main, 'wip.txt'), 'work in progress');
    try {
      const r = jvs(['diff', 'v2'], { cwd: join(main, 'd') });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(`^Diff ${v2.slice(0, 8)} -> worktree main\nFrom: ${second(root, v2)}\nTo:   \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\n\nAdded \\(1\\):\n  \\+ wip.txt\n$`),
      );
      const j = JSON.parse(jvs(['diff', 'v1', '--json'], { cwd: main }).stdout) as Record<string, unknown>;
      expect(j).toMatchObject({ from_snapshot_id: v1, to_snapshot_id: '', total_added: 2, total_removed: 1, total_modified: 3 });
      expect(j['to_time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(jvs(['diff', 'HEAD', '--stat'], { cwd: main }).stdout).toBe('Added: 1, Removed: 0, Modified: 0\n');
    } finally {
      unlinkSync(join(main, 'wip.txt'));
    }
  });

  it('resolver errors carry their context; HEAD and one ref need a worktree', () => {
    const cases: Array<[string[], string, string, string]> = [
      [['nope'], main, 'E_NOT_FOUND', 'resolve snapshot: no snapshot found matching "nope"'],
      [['nope', 'v1'], root, 'E_NOT_FOUND', 'resolve from snapshot: no snapshot found matching "nope"'],
      [['v1', 'nope'], root, 'E_NOT_FOUND', 'resolve to snapshot: no snapshot found matching "nope"'],
      [['v1'], root, 'E_NOT_IN_WORKTREE', 'resolve snapshot: not inside a worktree'],
      [['HEAD', 'v1'], root, 'E_NOT_IN_WORKTREE', 'resolve from snapshot: not inside a worktree'],
      [['v1', 'HEAD'], join(root, '.jvs'), 'E_NOT_IN_WORKTREE', 'resolve to snapshot: not inside a worktree'],
    ];
    for (const [args, cwd, code, message] of cases) {
      expect(jvs(['diff', ...args], { cwd }), args.join(' ')).toEqual({ stdout: '', stderr: `jvs: ${message}\n`, status: 1 });
      const j = jvs(['diff', ...args, '--json'], { cwd });
      expect(j.stdout).toBe('');
      expect(jsonError(j)).toEqual({ code, message, hint: '' });
    }
  });

  it('an ambiguous ref [E_AMBIGUOUS_REF] lists the matches newest first', () => {
    const r = jvs(['diff', 'v', 'v1'], { cwd: root });
    expect(r).toEqual({ stdout: '', stderr: `jvs: resolve from snapshot: ambiguous query "v" matches multiple snapshots: ${v2}, ${v1}\n`, status: 1 });
    expect(jsonError(jvs(['diff', 'v', 'v1', '--json'], { cwd: root })).code).toBe('E_AMBIGUOUS_REF');
  });

  it('too many arguments [E_USAGE, exit 2]', () => {
    expect(jvs(['diff', 'a', 'b', 'c'], { cwd: root })).toEqual({ stdout: '', stderr: 'jvs: too many arguments\n', status: 2 });
    expect(jsonError(jvs(['diff', 'a', 'b', 'c', '--json'], { cwd: root })).code).toBe('E_USAGE');
  });

  it('outside a repository: the lookup block', () => {
    expect(jvs(['diff'], { cwd: scratch() })).toEqual({
      stdout: '',
      stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n',
      status: 1,
    });
  });
});

describe('jvs diff: few snapshots, missing ones', () => {
  it('fewer than two snapshots [E_NOT_FOUND]; HEAD without snapshots [E_NOT_FOUND]', () => {
    const dir = scratch();
    jvs(['init', 'r'], { cwd: dir });
    const main = join(dir, 'r', 'main');
    expect(jvs(['diff'], { cwd: main })).toEqual({ stdout: '', stderr: 'jvs: need at least 2 snapshots to diff\n', status: 1 });
    expect(jvs(['diff', 'HEAD'], { cwd: main }).stderr).toBe('jvs: resolve snapshot: no snapshots in current worktree\n');
    snap(main, 'only');
    expect(jsonError(jvs(['diff', '--json'], { cwd: main }))).toEqual({ code: 'E_NOT_FOUND', message: 'need at least 2 snapshots to diff', hint: '' });
  });

  it('a snapshot whose directory is gone: compute diff [E_PARTIAL_SNAPSHOT]', () => {
    const dir = scratch();
    jvs(['init', 'r'], { cwd: dir });
    const root = join(dir, 'r');
    const main = join(root, 'main');
    snap(main, 'one');
    const head = snap(main, 'two');
    renameSync(join(root, '.jvs/snapshots', head), join(dir, 'moved'));
    const r = jvs(['diff', 'HEAD', 'one'], { cwd: main });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`jvs: compute diff: E_PARTIAL_SNAPSHOT: from snapshot not found: stat ${root}/.jvs/snapshots/${head}: no such file or directory\n`);
    expect(jsonError(jvs(['diff', 'one', 'HEAD', '--json'], { cwd: main }))).toMatchObject({ code: 'E_PARTIAL_SNAPSHOT' });
    expect(jvs(['diff', 'one', 'HEAD'], { cwd: main }).stderr).toMatch(/^jvs: compute diff: E_PARTIAL_SNAPSHOT: to snapshot not found: /);
  });

  it('the From line is left out when the from time is zero', () => {
    const dir = scratch();
    jvs(['init', 'r'], { cwd: dir });
    const root = join(dir, 'r');
    const main = join(root, 'main');
    const one = snap(main, 'one');
    snap(main, 'two');
    const file = join(root, '.jvs/descriptors', `${one}.json`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"created_at": "[^"]*"/, '"created_at": "0001-01-01T00:00:00Z"'));
    expect(jvs(['diff', 'one', 'two'], { cwd: root }).stdout).toMatch(/^Diff \d{8} -> \d{8}\nTo: {3}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n\nNo changes\.\n$/);
  });
});

describe('jvs diff: the v8.2 fixture', () => {
  it('first -> second by tag', () => {
    const root = extractFixture(scratch());
    const { first, second: sec } = FIXTURE_IDS;
    const r = jvs(['diff', 'v1', 'v2'], { cwd: root });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        `Diff ${first.slice(0, 8)} -> ${sec.slice(0, 8)}`,
        `From: ${second(root, first)}`,
        `To:   ${second(root, sec)}`,
        '',
        'Added (1):',
        '  + newdir/n.txt',
        '',
        'Modified (1):',
        '  ~ a.txt (5 -> 11 bytes)',
        '',
      ].join('\n'),
    );
  });
});
