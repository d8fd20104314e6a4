// `jvs init` (§2.1) and `jvs info` (§2.2) through the built CLI.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { extractFixture } from '../support/fixture.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('jvs init', () => {
  it('prints where the repository and its main worktree are', () => {
    const dir = scratch();
    const r = jvs(['init', 'demo'], { cwd: dir });
    expect(r).toEqual({ stdout: `Initialized JVS repository in ${dir}/demo\n  Main worktree: ${dir}/demo/main\n`, stderr: '', status: 0 });
    expect(readdirSync(join(dir, 'demo')).sort()).toEqual(['.jvs', 'main', 'worktrees']);
    expect(readFileSync(join(dir, 'demo/.jvs/format_version'), 'utf8')).toBe('1\n');
  });

  it('prints the JSON map', () => {
    const dir = scratch();
    const r = jvs(['init', 'demo', '--json'], { cwd: dir });
    expect(r.status).toBe(0);
    const repoId = readFileSync(join(dir, 'demo/.jvs/repo_id'), 'utf8').trim();
    expect(repoId).toMatch(UUID);
    expect(r.stdout).toBe(`{\n  "format_version": 1,\n  "repo_id": "${repoId}",\n  "repo_root": "${dir}/demo"\n}\n`);
  });

  it('`init .` makes the current directory the repository; an existing directory is used as is', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'keep.txt'), 'x');
    const r = jvs(['init', '.'], { cwd: dir });
    expect(r.stdout).toBe(`Initialized JVS repository in ${dir}\n  Main worktree: ${dir}/main\n`);
    expect(readdirSync(dir).sort()).toEqual(['.jvs', 'keep.txt', 'main', 'worktrees']);
  });

  it('the README quick start works from a scratch directory', () => {
    const dir = scratch();
    expect(jvs(['init', 'demo'], { cwd: dir }).status).toBe(0);
    const info = jvs(['info'], { cwd: join(dir, 'demo', 'main') });
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(new RegExp(`^Repository: ${dir}/demo\n`));
  });

  it('rejects names that are not plain names (E_NAME_INVALID, no context) and changes nothing', () => {
    const cases: Array<[string, string]> = [
      ['a/b', 'name must not contain separators: a/b'],
      ['/abs', 'name must not contain separators: /abs'],
      ['..', "name must not contain '..': .."],
      ['a..b', "name must not contain '..': a..b"],
      ['', 'name must not be empty'],
      ['a\tb', 'name must not contain control characters: "a\\tb"'],
      ['a\x01b', 'name must not contain control characters: "a\\x01b"'],
      ['a\u0085b', 'name must not contain control characters: "a\\u0085b"'],
      ['a b', 'name must match [a-zA-Z0-9._-]+: a b'],
    ];
    for (const [name, detail] of cases) {
      const dir = scratch();
      const r = jvs(['init', name], { cwd: dir });
      expect(r, JSON.stringify(name)).toEqual({ stdout: '', stderr: `jvs: E_NAME_INVALID: ${detail}\n`, status: 1 });
      expect(readdirSync(dir)).toEqual([]);
      const j = jvs(['init', name, '--json'], { cwd: dir });
      expect(j.stdout).toBe('');
      expect(jsonError(j)).toEqual({ code: 'E_NAME_INVALID', message: detail, hint: '' });
    }
  });

  it('refuses an existing repository (E_EXISTS) and leaves it alone', () => {
    const dir = scratch();
    jvs(['init', 'demo'], { cwd: dir });
    const before = readFileSync(join(dir, 'demo/.jvs/repo_id'), 'utf8');
    const r = jvs(['init', 'demo'], { cwd: dir });
    expect(r).toEqual({ stdout: '', stderr: `jvs: failed to initialize repository: E_EXISTS: repository already exists: ${dir}/demo\n`, status: 1 });
    expect(jsonError(jvs(['--json', 'init', 'demo'], { cwd: dir }))).toEqual({
      code: 'E_EXISTS',
      message: `failed to initialize repository: repository already exists: ${dir}/demo`,
      hint: '',
    });
    expect(readFileSync(join(dir, 'demo/.jvs/repo_id'), 'utf8')).toBe(before);
    // `.jvs` of any type counts.
    const other = scratch();
    mkdirSync(join(other, 'x'));
    writeFileSync(join(other, 'x', '.jvs'), '');
    expect(jvs(['init', 'x'], { cwd: other }).stderr).toMatch(/E_EXISTS: repository already exists/);
  });
});

describe('jvs info', () => {
  const infoText = (root: string, repoId: string, engine: string, worktrees: number, snapshots: number): string =>
    `Repository: ${root}\n  Repo ID: ${repoId}\n  Format version: 1\n  Snapshot engine: ${engine}\n  Worktrees: ${worktrees}\n  Snapshots: ${snapshots}\n`;

  it('works anywhere in the repository: root, main/, .jvs/', () => {
    const dir = scratch();
    jvs(['init', 'demo'], { cwd: dir });
    const root = join(dir, 'demo');
    const repoId = readFileSync(join(root, '.jvs/repo_id'), 'utf8').trim();
    for (const cwd of [root, join(root, 'main'), join(root, '.jvs')]) {
      expect(jvs(['info'], { cwd, env: { JVS_ENGINE: 'copy' } }), cwd).toEqual({
        stdout: infoText(root, repoId, 'copy', 1, 0),
        stderr: '',
        status: 0,
      });
    }
    // Extra arguments are ignored (§2.13).
    expect(jvs(['info', 'x', 'y'], { cwd: root, env: { JVS_ENGINE: 'copy' } }).stdout).toBe(infoText(root, repoId, 'copy', 1, 0));
  });

  it('reads a v8.2 repository; JSON keys sorted; JVS_SNAPSHOT_ENGINE honoured', () => {
    const root = extractFixture(scratch());
    const repoId = readFileSync(join(root, '.jvs/repo_id'), 'utf8').trim();
    const env = { JVS_SNAPSHOT_ENGINE: 'reflink-copy' };
    expect(jvs(['info'], { cwd: join(root, 'main'), env }).stdout).toBe(infoText(root, repoId, 'reflink-copy', 3, 4));
    const j = jvs(['info', '--json'], { cwd: root, env });
    expect(j.stdout).toBe(
      `{\n  "format_version": 1,\n  "repo_id": "${repoId}",\n  "repo_root": "${root}",\n  "snapshot_engine": "reflink-copy",\n` +
        `  "total_snapshots": 4,\n  "total_worktrees": 3\n}\n`,
    );
  });

  it('prints engine warnings on stderr, also in JSON mode', () => {
    const dir = scratch();
    jvs(['init', 'demo'], { cwd: dir });
    const r = jvs(['info', '--json'], { cwd: join(dir, 'demo'), env: { JVS_ENGINE: 'bogus', JVS_SNAPSHOT_ENGINE: 'copy' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('warning: ignoring JVS_ENGINE=bogus\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ snapshot_engine: 'copy' });
  });

  it('an invalid JVS_SNAPSHOT_ENGINE is ignored with a warning too; both invalid warn in order (§6.1)', () => {
    const dir = scratch();
    jvs(['init', 'demo'], { cwd: dir });
    const root = join(dir, 'demo');
    const stored = (JSON.parse(jvs(['info', '--json'], { cwd: root, env: {} }).stdout) as { snapshot_engine: string }).snapshot_engine;
    const one = jvs(['info', '--json'], { cwd: root, env: { JVS_SNAPSHOT_ENGINE: 'bogus' } });
    expect(one.status).toBe(0);
    expect(one.stderr).toBe('warning: ignoring JVS_SNAPSHOT_ENGINE=bogus\n');
    expect(JSON.parse(one.stdout)).toMatchObject({ snapshot_engine: stored });
    const both = jvs(['info'], { cwd: root, env: { JVS_ENGINE: 'nope', JVS_SNAPSHOT_ENGINE: 'bogus' } });
    expect(both.stderr).toBe('warning: ignoring JVS_ENGINE=nope\nwarning: ignoring JVS_SNAPSHOT_ENGINE=bogus\n');
  });

  it('outside a repository prints the two-line block (E_NOT_A_REPO, exit 1)', () => {
    const r = jvs(['info'], { cwd: scratch() });
    expect(r).toEqual({
      stdout: '',
      stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n',
      status: 1,
    });
  });

  it('names a too-new format (E_FORMAT_UNSUPPORTED)', () => {
    const dir = scratch();
    jvs(['init', 'demo'], { cwd: dir });
    writeFileSync(join(dir, 'demo/.jvs/format_version'), '2\n');
    const r = jvs(['info'], { cwd: join(dir, 'demo/main') });
    expect(r).toEqual({ stdout: '', stderr: 'jvs: not a JVS repository: E_FORMAT_UNSUPPORTED: format version 2 > supported 1\n', status: 1 });
    expect(jsonError(jvs(['info', '--json'], { cwd: join(dir, 'demo') }))).toEqual({
      code: 'E_FORMAT_UNSUPPORTED',
      message: 'not a JVS repository: format version 2 > supported 1',
      hint: '',
    });
  });
});
