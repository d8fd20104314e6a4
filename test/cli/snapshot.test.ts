// `jvs snapshot` (§2.3) through the built CLI.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { hasScript, jsonError, jvs, jvsInTerminal } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-snapshot-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));
const ID = /^\d{13}-[0-9a-f]{8}$/;
const ENV = { JVS_ENGINE: 'copy' };

/** A fresh repository; returns its root and main worktree. */
function fresh(): { root: string; main: string } {
  const dir = scratch();
  expect(jvs(['init', 'r'], { cwd: dir }).status).toBe(0);
  return { root: join(dir, 'r'), main: join(dir, 'r', 'main') };
}

function snapshotJson(main: string, args: string[], input?: string): Record<string, unknown> {
  const r = jvs(['snapshot', '--json', ...args], { cwd: main, env: ENV, ...(input !== undefined ? { input } : {}) });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('jvs snapshot: output', () => {
  it('prints the id, then the tags; the worktree head and latest move to it', () => {
    const { root, main } = fresh();
    writeFileSync(join(main, 'a.txt'), 'a');
    const r = jvs(['snapshot', 'first', '--tag', 'v1,stable', '--tag', 'x'], { cwd: main, env: ENV });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const m = /^Created snapshot (\S+)\n {2}Tags: v1, stable, x\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const id = m![1]!;
    expect(id).toMatch(ID);
    const cfg = JSON.parse(readFileSync(join(root, '.jvs/worktrees/main/config.json'), 'utf8')) as Record<string, string>;
    expect(cfg['head_snapshot_id']).toBe(id);
    expect(cfg['latest_snapshot_id']).toBe(id);
    // No tags: one line.
    expect(jvs(['snapshot', 'second'], { cwd: main, env: ENV }).stdout).toMatch(/^Created snapshot \d{13}-[0-9a-f]{8}\n$/);
  });

  it('partial: counts the --paths values after CSV splitting, before de-duplication', () => {
    const { main } = fresh();
    writeFileSync(join(main, 'a.txt'), 'a');
    mkdirSync(join(main, 'd'));
    writeFileSync(join(main, 'd', 'f'), 'f');
    const r = jvs(['snapshot', '--paths', 'a.txt,d', '--paths', 'a.txt', 'part'], { cwd: main, env: ENV });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Created partial snapshot \d{13}-[0-9a-f]{8} \(3 paths\)\n$/);
  });

  it('colors the id cyan and each tag blue when color is forced', () => {
    const { main } = fresh();
    const r = jvs(['snapshot', '--tag', 'a,b'], { cwd: main, env: { ...ENV, FORCE_COLOR: '1' } });
    expect(r.stdout).toMatch(/^Created snapshot \x1b\[36m\d{13}-[0-9a-f]{8}\x1b\[0m\n {2}Tags: \x1b\[34ma\x1b\[0m, \x1b\[34mb\x1b\[0m\n$/);
  });

  it('--json prints the descriptor in §3.5 order, which is also what is stored', () => {
    const { root, main } = fresh();
    writeFileSync(join(main, 'a.txt'), 'a');
    const first = snapshotJson(main, ['one']);
    const second = snapshotJson(main, ['two', '--tag', 't1,t2', '--paths', 'a.txt']);
    expect(Object.keys(first)).toEqual([
      'snapshot_id',
      'worktree_name',
      'created_at',
      'note',
      'engine',
      'payload_root_hash',
      'descriptor_checksum',
      'integrity_state',
    ]);
    expect(Object.keys(second)).toEqual([
      'snapshot_id',
      'parent_id',
      'worktree_name',
      'created_at',
      'note',
      'tags',
      'engine',
      'payload_root_hash',
      'descriptor_checksum',
      'integrity_state',
      'partial_paths',
    ]);
    expect(second).toMatchObject({
      parent_id: first['snapshot_id'],
      worktree_name: 'main',
      note: 'two',
      tags: ['t1', 't2'],
      engine: 'copy',
      integrity_state: 'verified',
      partial_paths: ['a.txt'],
    });
    expect(second['payload_root_hash']).toMatch(/^[0-9a-f]{64}$/);
    const id = second['snapshot_id'] as string;
    // The output is the stored descriptor plus Go's trailing newline.
    const out = jvs(['snapshot', '--json'], { cwd: main, env: ENV }).stdout;
    const latest = (JSON.parse(out) as { snapshot_id: string }).snapshot_id;
    expect(out).toBe(`${readFileSync(join(root, '.jvs/descriptors', `${latest}.json`), 'utf8')}\n`);
    expect(id).toMatch(ID);
  });

  it('global flags anywhere: `snapshot --json note`, `--json snapshot note`', () => {
    const { main } = fresh();
    expect(JSON.parse(jvs(['snapshot', '--json', 'note1'], { cwd: main, env: ENV }).stdout)).toMatchObject({ note: 'note1' });
    expect(JSON.parse(jvs(['--json', 'snapshot', 'note2'], { cwd: main, env: ENV }).stdout)).toMatchObject({ note: 'note2' });
    expect(JSON.parse(jvs(['snapshot', 'note3', '--no-color', '--json'], { cwd: main, env: ENV }).stdout)).toMatchObject({ note: 'note3' });
  });

  it('flags only, and an empty worktree, both succeed (no note field)', () => {
    const { main } = fresh();
    const d = snapshotJson(main, ['--tag', 'x']);
    expect(d['note']).toBeUndefined();
    expect(d['tags']).toEqual(['x']);
    // Identical to its parent: still created.
    const again = snapshotJson(main, []);
    expect(again['parent_id']).toBe(d['snapshot_id']);
    expect(again['payload_root_hash']).toBe(d['payload_root_hash']);
  });

  it('config default_tags are appended when not already given', () => {
    const { root, main } = fresh();
    writeFileSync(join(root, '.jvs/config.yaml'), 'default_tags:\n  - auto\n  - x\n');
    expect(snapshotJson(main, ['--tag', 'x,y'])['tags']).toEqual(['x', 'y', 'auto']);
    expect(jvs(['snapshot'], { cwd: main, env: ENV }).stdout).toMatch(/\n {2}Tags: auto, x\n$/);
  });

  it('runs from a subdirectory of the worktree and in other worktrees', () => {
    const { root, main } = fresh();
    mkdirSync(join(main, 'deep', 'er'), { recursive: true });
    expect(snapshotJson(join(main, 'deep', 'er'), ['deep'])['worktree_name']).toBe('main');
    // A hand-made worktree config is enough for the snapshot command.
    mkdirSync(join(root, '.jvs/worktrees/other'), { recursive: true });
    writeFileSync(join(root, '.jvs/worktrees/other/config.json'), '{"name":"other","created_at":"2026-01-01T00:00:00Z"}');
    mkdirSync(join(root, 'worktrees/other'), { recursive: true });
    expect(snapshotJson(join(root, 'worktrees/other'), ['o'])['worktree_name']).toBe('other');
  });

  it('--compress: the level line and `compressed <n> files` on stderr; none compresses nothing; ls/cat see logical files', () => {
    const { root, main } = fresh();
    writeFileSync(join(main, 'a.txt'), 'aaaa');
    mkdirSync(join(main, 'd'));
    writeFileSync(join(main, 'd', 'b.gz'), 'not really gzip');
    const r = jvs(['snapshot', '--compress', 'MAX', 'zipped', '--tag', 'z'], { cwd: main, env: ENV });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('compressed 2 files\n');
    expect(r.stdout).toMatch(/^Created snapshot \d{13}-[0-9a-f]{8}\n {2}\(compressed: gzip level 9\)\n {2}Tags: z\n$/);
    const j = jvs(['snapshot', '--json', '--compress=default'], { cwd: main, env: ENV });
    expect(j.stderr).toBe('compressed 2 files\n');
    const d = JSON.parse(j.stdout) as { snapshot_id: string; compression?: unknown };
    expect(d.compression).toEqual({ type: 'gzip', level: 6 });
    expect(Object.keys(d).at(-1)).toBe('compression');
    expect(readFileSync(join(root, '.jvs/snapshots', d.snapshot_id, 'd', 'b.gz.gz')).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(jvs(['cat', 'HEAD', 'd/b.gz'], { cwd: main }).stdout).toBe('not really gzip');
    expect(jvs(['ls', 'HEAD', 'd'], { cwd: main }).stdout).toBe('file    0644           15  d/b.gz\n');
    const none = jvs(['snapshot', '--json', '--compress', '0'], { cwd: main, env: ENV });
    expect(none.stderr).toBe('');
    expect(JSON.parse(none.stdout)).not.toHaveProperty('compression');
  });

  it.runIf(hasScript)('in a terminal any progress bar is cleared before the result', () => {
    const { main } = fresh();
    writeFileSync(join(main, 'big'), Buffer.alloc(64 << 20));
    const r = jvsInTerminal(['snapshot', 'bar'], { cwd: main, env: ENV });
    expect(r.status).toBe(0);
    const after = r.stdout.split('\x1b[K').at(-1)!;
    expect(after).toMatch(/^Created snapshot \x1b\[36m\d{13}-[0-9a-f]{8}\x1b\[0m\r\n$/);
  });

  it('an audit log that cannot be written is a warning; the snapshot still succeeds (§3.11)', () => {
    const { root, main } = fresh();
    const log = join(root, '.jvs/audit/audit.jsonl');
    rmSync(log, { force: true });
    mkdirSync(log); // appending to a directory fails (EISDIR), also for root
    writeFileSync(join(main, 'a.txt'), 'a');
    const r = jvs(['snapshot', 'kept'], { cwd: main, env: ENV });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Created snapshot \d{13}-[0-9a-f]{8}\n$/);
    expect(r.stderr).toMatch(/^warning: failed to write audit log: .*EISDIR.*\n$/);
    const id = r.stdout.trim().split(' ').pop()!;
    expect(readdirSync(join(root, '.jvs/descriptors'))).toEqual([`${id}.json`]);
    const j = jvs(['snapshot', '--json', 'again'], { cwd: main, env: ENV });
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ note: 'again' });
    expect(j.stderr).toMatch(/^warning: failed to write audit log: /);
  });

  it('draws no progress bar into a pipe', () => {
    const { main } = fresh();
    writeFileSync(join(main, 'big'), Buffer.alloc(1 << 20));
    const r = jvs(['snapshot', 'quiet'], { cwd: main, env: ENV });
    expect(r.stderr).toBe('');
  });
});

describe('jvs snapshot: the note', () => {
  it('`-` reads stdin completely: lines joined with \\n, \\r\\n ends, runs of \\n \\r space trimmed at both ends, tabs kept', () => {
    const { main } = fresh();
    expect(snapshotJson(main, ['-'], '  \r\n\nhello\r\n\tworld \t\n\n \r\n')['note']).toBe('hello\n\tworld \t');
    expect(snapshotJson(main, ['-'], 'no newline')['note']).toBe('no newline');
    // No line-length limit.
    const long = 'x'.repeat(200_000);
    expect(snapshotJson(main, ['-'], `${long}\n`)['note']).toBe(long);
    // Empty stdin: no note.
    expect(snapshotJson(main, ['-'], '')['note']).toBeUndefined();
  });

  it('-F/--file takes the file raw (nothing trimmed); `-` wins over it; the positional is used otherwise', () => {
    const { main } = fresh();
    const file = join(scratch(), 'note.txt');
    writeFileSync(file, '  raw note\r\n\n');
    expect(snapshotJson(main, ['-F', file])['note']).toBe('  raw note\r\n\n');
    expect(snapshotJson(main, [`--file=${file}`])['note']).toBe('  raw note\r\n\n');
    expect(snapshotJson(main, ['-', '-F', file], 'from stdin\n')['note']).toBe('from stdin');
    expect(snapshotJson(main, ['-F', file, 'positional'])['note']).toBe('  raw note\r\n\n');
    expect(snapshotJson(main, ['  positional kept as is  '])['note']).toBe('  positional kept as is  ');
  });

  it('an unreadable note file is `read note file: <err>` [E_IO] and creates nothing', () => {
    const { root, main } = fresh();
    const missing = join(scratch(), 'missing.txt');
    const r = jvs(['snapshot', '-F', missing], { cwd: main, env: ENV });
    expect(r).toEqual({ stdout: '', stderr: `jvs: read note file: open ${missing}: no such file or directory\n`, status: 1 });
    expect(jsonError(jvs(['snapshot', '-F', missing, '--json'], { cwd: main, env: ENV }))).toEqual({
      code: 'E_IO',
      message: `read note file: open ${missing}: no such file or directory`,
      hint: '',
    });
    const dir = scratch();
    expect(jvs(['snapshot', '-F', dir], { cwd: main, env: ENV }).stderr).toBe(`jvs: read note file: read ${dir}: is a directory\n`);
    expect(jvs(['history', '--all', '--json'], { cwd: root }).stdout).toBe('null\n');
  });
});

describe('jvs snapshot: refusals', () => {
  it('outside a repository and outside a worktree (worktree-scoped errors)', () => {
    const r = jvs(['snapshot', 'x'], { cwd: scratch() });
    expect(r).toEqual({ stdout: '', stderr: 'jvs: not a JVS repository: no JVS repository found (no .jvs/ in parent directories)\n', status: 1 });
    expect(jsonError(jvs(['snapshot', '--json'], { cwd: scratch() })).code).toBe('E_NOT_A_REPO');
    const { root } = fresh();
    for (const cwd of [root, join(root, '.jvs'), join(root, 'worktrees')]) {
      const n = jvs(['snapshot', 'x'], { cwd });
      expect(n, cwd).toEqual({ stdout: '', stderr: 'jvs: not inside a worktree (current directory is not under main/ or worktrees/)\n', status: 1 });
      expect(jsonError(jvs(['snapshot', '--json'], { cwd })).code).toBe('E_NOT_IN_WORKTREE');
    }
  });

  it('detached: the refusal on stderr, the guidance on stdout; JSON has it as the hint; checked before the note is read', () => {
    const root = extractFixture(scratch());
    const main = join(root, 'main');
    const r = jvs(['snapshot', 'x'], { cwd: main, env: ENV });
    expect(r).toEqual({
      stdout:
        `\nYou are currently at snapshot '${FIXTURE_IDS.first}' (historical).\nTo continue working from this point:\n\n` +
        '    jvs worktree fork 17952634 <new-worktree-name>\n\nOr return to the latest state:\n\n    jvs restore HEAD\n',
      stderr: 'jvs: cannot create snapshot in detached state\n',
      status: 1,
    });
    const j = jvs(['snapshot', 'x', '--json'], { cwd: main, env: ENV });
    expect(j.stdout).toBe('');
    expect(jsonError(j)).toEqual({
      code: 'E_DETACHED',
      message: 'cannot create snapshot in detached state',
      hint: 'jvs worktree fork 17952634 <new-worktree-name> | jvs restore HEAD',
    });
    expect(jvs(['snapshot', '-F', join(root, 'missing')], { cwd: main, env: ENV }).stderr).toBe('jvs: cannot create snapshot in detached state\n');
  });

  it('a missing worktree config is `get worktree: …` [E_NOT_FOUND]', () => {
    const { root } = fresh();
    mkdirSync(join(root, 'worktrees', 'ghost'));
    const r = jvs(['snapshot', '--json'], { cwd: join(root, 'worktrees', 'ghost'), env: ENV });
    expect(jsonError(r)).toEqual({
      code: 'E_NOT_FOUND',
      message: `get worktree: open ${root}/.jvs/worktrees/ghost/config.json: no such file or directory`,
      hint: '',
    });
  });

  it('a corrupt worktree config is `get worktree: parse worktree config: …` [E_IO], nothing written', () => {
    const { root, main } = fresh();
    writeFileSync(join(root, '.jvs/worktrees/main/config.json'), '{"name": "main", oops');
    const r = jvs(['snapshot', 'x'], { cwd: main, env: ENV });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^jvs: get worktree: parse worktree config: .+\n$/);
    expect(jsonError(jvs(['snapshot', '--json'], { cwd: main, env: ENV }))).toMatchObject({ code: 'E_IO' });
    expect(readdirSync(join(root, '.jvs/snapshots'))).toEqual([]);
    expect(readdirSync(join(root, '.jvs/intents'))).toEqual([]);
  });

  it('invalid tags [E_NAME_INVALID]', () => {
    const { main } = fresh();
    expect(jvs(['snapshot', '--tag', 'ok,b!d'], { cwd: main, env: ENV })).toEqual({
      stdout: '',
      stderr: 'jvs: invalid tag "b!d": E_NAME_INVALID: tag must match [a-zA-Z0-9._-]+: b!d\n',
      status: 1,
    });
    expect(jsonError(jvs(['snapshot', '--tag', ',', '--json'], { cwd: main, env: ENV }))).toEqual({
      code: 'E_NAME_INVALID',
      message: 'invalid tag "": tag must not be empty',
      hint: '',
    });
  });

  it('bad partial paths: escape, absolute, missing', () => {
    const { main } = fresh();
    const cases: Array<[string, string, string]> = [
      ['../x', 'E_PATH_ESCAPE', "create snapshot: E_PATH_ESCAPE: path cannot contain '..': ../x"],
      ['/abs', 'E_PATH_ESCAPE', 'create snapshot: E_PATH_ESCAPE: path must be relative: /abs'],
      ['nope', 'E_NOT_FOUND', 'create snapshot: path does not exist: nope'],
    ];
    for (const [p, code, message] of cases) {
      const r = jvs(['snapshot', '--paths', p], { cwd: main, env: ENV });
      expect(r, p).toEqual({ stdout: '', stderr: `jvs: ${message}\n`, status: 1 });
      expect(jsonError(jvs(['snapshot', '--json', '--paths', p], { cwd: main, env: ENV })).code).toBe(code);
    }
  });

  it('a FIFO in the worktree is E_UNSUPPORTED_FILE and is never opened', () => {
    const { main } = fresh();
    mkdirSync(join(main, 'sub'));
    execFileSync('mkfifo', [join(main, 'sub', 'pipe')]);
    const r = jvs(['snapshot', 'x'], { cwd: main, env: ENV });
    expect(r).toEqual({ stdout: '', stderr: 'jvs: create snapshot: E_UNSUPPORTED_FILE: unsupported file type (fifo): sub/pipe\n', status: 1 });
    expect(jsonError(jvs(['snapshot', '--json'], { cwd: main, env: ENV }))).toEqual({
      code: 'E_UNSUPPORTED_FILE',
      message: 'create snapshot: unsupported file type (fifo): sub/pipe',
      hint: '',
    });
  });

  it('invalid --compress level [E_USAGE, exit 2]', () => {
    const { main } = fresh();
    const r = jvs(['snapshot', '--compress', 'ultra'], { cwd: main, env: ENV });
    expect(r).toEqual({
      stdout: '',
      stderr: 'jvs: invalid compression level: invalid compression level: ultra (must be none, fast, default, or max)\n',
      status: 2,
    });
    expect(jsonError(jvs(['snapshot', '--compress=7', '--json'], { cwd: main, env: ENV }))).toMatchObject({
      code: 'E_USAGE',
      message: 'invalid compression level: invalid compression level: 7 (must be none, fast, default, or max)',
    });
  });

  it('at most one positional', () => {
    const { main } = fresh();
    expect(jvs(['snapshot', 'a', 'b'], { cwd: main })).toMatchObject({ stdout: '', stderr: 'accepts at most 1 arg(s), received 2\n', status: 2 });
  });
});
