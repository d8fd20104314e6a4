// `jvs status` (§2.14) through the built CLI.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-status-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));
const ENV = { JVS_ENGINE: 'copy' };

function fresh(): { root: string; main: string } {
  const dir = scratch();
  jvs(['init', 'r'], { cwd: dir });
  return { root: join(dir, 'r'), main: join(dir, 'r', 'main') };
}

function snap(cwd: string, ...args: string[]): string {
  const r = jvs(['snapshot', '--json', ...args], { cwd, env: ENV });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { snapshot_id: string }).snapshot_id;
}

describe('jvs status', () => {
  it('no snapshots yet: everything is added; JSON head null', () => {
    const { main } = fresh();
    expect(jvs(['status'], { cwd: main })).toEqual({ stdout: "On worktree 'main', no snapshots yet\n\nNo changes.\n", stderr: '', status: 0 });
    writeFileSync(join(main, 'a.txt'), 'abc');
    mkdirSync(join(main, 'empty'));
    expect(jvs(['status'], { cwd: main }).stdout).toBe("On worktree 'main', no snapshots yet\n\nAdded (1):\n  + a.txt (3 bytes)\n");
    expect(jvs(['status', '--json'], { cwd: main }).stdout).toBe(
      [
        '{',
        '  "worktree": "main",',
        '  "head_snapshot_id": null,',
        '  "detached": false,',
        '  "clean": false,',
        '  "added": [',
        '    {',
        '      "path": "a.txt",',
        '      "type": "added",',
        '      "size": 3',
        '    }',
        '  ],',
        '  "removed": [],',
        '  "modified": [],',
        '  "total_added": 1,',
        '  "total_removed": 0,',
        '  "total_modified": 0',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('clean after a snapshot; dirty with sizes on every line; exit 0 either way', () => {
    const { main } = fresh();
    writeFileSync(join(main, 'a.txt'), 'abc');
    writeFileSync(join(main, 'b.txt'), 'bee');
    writeFileSync(join(main, 'c.txt'), 'ccc');
    symlinkSync('a.txt', join(main, 'link'));
    const id = snap(main, 'base');
    expect(jvs(['status'], { cwd: main })).toEqual({ stdout: `On worktree 'main', head ${id}\n\nNo changes.\n`, stderr: '', status: 0 });
    const clean = JSON.parse(jvs(['status', '--json'], { cwd: main }).stdout) as Record<string, unknown>;
    expect(clean).toEqual({
      worktree: 'main',
      head_snapshot_id: id,
      detached: false,
      clean: true,
      added: [],
      removed: [],
      modified: [],
      total_added: 0,
      total_removed: 0,
      total_modified: 0,
    });

    writeFileSync(join(main, 'a.txt'), 'abcdef');
    writeFileSync(join(main, 'c.txt'), 'xyz'); // same size, other content
    unlinkSync(join(main, 'b.txt'));
    unlinkSync(join(main, 'link'));
    symlinkSync('c.txt', join(main, 'link'));
    writeFileSync(join(main, 'new.txt'), 'n');
    const r = jvs(['status'], { cwd: join(main) });
    expect(r).toEqual({
      stdout: [
        `On worktree 'main', head ${id}`,
        '',
        'Added (1):',
        '  + new.txt (1 bytes)',
        '',
        'Removed (1):',
        '  - b.txt (3 bytes)',
        '',
        'Modified (3):',
        '  ~ a.txt (3 -> 6 bytes)',
        '  ~ c.txt (3 -> 3 bytes)',
        '  ~ link (5 -> 5 bytes)',
        '',
      ].join('\n'),
      stderr: '',
      status: 0,
    });
    const j = JSON.parse(jvs(['status', '--json'], { cwd: main }).stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ clean: false, total_added: 1, total_removed: 1, total_modified: 3 });
    expect(j['removed']).toEqual([{ path: 'b.txt', type: 'removed', size: 3 }]);
    expect(j['modified']).toEqual([
      { path: 'a.txt', type: 'modified', size: 6, old_size: 3 },
      { path: 'c.txt', type: 'modified', size: 3, old_size: 3 },
      { path: 'link', type: 'modified', size: 5, old_size: 5, is_symlink: true },
    ]);
  });

  it('a detached worktree (v8.2 fixture main, whose stray .READY is ignored)', () => {
    const root = extractFixture(scratch());
    expect(jvs(['status'], { cwd: join(root, 'main') })).toEqual({
      stdout: `On worktree 'main', head ${FIXTURE_IDS.first} (detached)\n\nNo changes.\n`,
      stderr: '',
      status: 0,
    });
    expect(JSON.parse(jvs(['status', '--json'], { cwd: join(root, 'main') }).stdout)).toMatchObject({ detached: true, clean: true });
    writeFileSync(join(root, 'worktrees', 'feature', 'feat.txt'), 'changed');
    expect(jvs(['status'], { cwd: join(root, 'worktrees', 'feature') }).stdout).toMatch(
      new RegExp(`^On worktree 'feature', head ${FIXTURE_IDS.feature}\n\nModified \\(1\\):\n  ~ feat.txt \\(\\d+ -> 7 bytes\\)\n$`),
    );
  });

  it('worktree-scoped errors; no arguments accepted', () => {
    const { root, main } = fresh();
    expect(jvs(['status'], { cwd: root })).toEqual({
      stdout: '',
      stderr: 'jvs: not inside a worktree (current directory is not under main/ or worktrees/)\n',
      status: 1,
    });
    expect(jsonError(jvs(['status', '--json'], { cwd: join(root, '.jvs') })).code).toBe('E_NOT_IN_WORKTREE');
    expect(jvs(['status'], { cwd: scratch() }).stderr).toBe('jvs: not a JVS repository: no JVS repository found (no .jvs/ in parent directories)\n');
    expect(jvs(['status', 'x'], { cwd: main })).toEqual({ stdout: '', stderr: 'accepts 0 arg(s), received 1\n', status: 2 });
  });
});
