// `jvs ls` and `jvs cat` (§2.15) through the built CLI.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { CLI, jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-ls-cat-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));
const ENV = { JVS_ENGINE: 'copy' };

/** `jvs <args>` with stdout as raw bytes (file names and contents need not be UTF-8). */
function jvsBytes(args: readonly string[], cwd: string): { stdout: Buffer; stderr: string; status: number } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, PWD: cwd, NO_COLOR: '1' }, maxBuffer: 64 << 20, timeout: 60_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr.toString('utf8'), status: r.status ?? -1 };
}

function snap(cwd: string, ...args: string[]): string {
  const r = jvs(['snapshot', '--json', ...args], { cwd, env: ENV });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { snapshot_id: string }).snapshot_id;
}

/** A name that is not UTF-8: `f`, 0xff, `.txt`. */
const BAD_NAME = Buffer.from([0x66, 0xff, 0x2e, 0x74, 0x78, 0x74]);
const BLOB = randomBytes(3 << 20);

describe('jvs ls / cat', () => {
  let root: string;
  let main: string;
  let id: string;
  beforeAll(() => {
    const dir = scratch();
    jvs(['init', 'r'], { cwd: dir });
    root = join(dir, 'r');
    main = join(root, 'main');
    writeFileSync(join(main, 'a.txt'), 'abc');
    writeFileSync(join(main, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(main, 'run.sh'), 0o750);
    mkdirSync(join(main, 'd', 'empty'), { recursive: true });
    chmodSync(join(main, 'd'), 0o755);
    chmodSync(join(main, 'd', 'empty'), 0o700);
    writeFileSync(join(main, 'd', 'blob.bin'), BLOB);
    symlinkSync('a.txt', join(main, 'link'));
    symlinkSync('../a.txt', join(main, 'd', 'up'));
    symlinkSync('../../outside', join(main, 'd', 'escape'));
    symlinkSync('missing', join(main, 'dangling'));
    writeFileSync(Buffer.concat([Buffer.from(`${main}/`), BAD_NAME]), 'bad name');
    id = snap(main, 'browse', '--tag', 'v1');
    writeFileSync(join(main, 'a.txt'), 'changed after the snapshot');
  });

  it('ls: the root, sorted, printf layout, / for directories, -> for symlinks; raw bytes of names', () => {
    const r = jvsBytes(['ls', 'v1'], root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toEqual(
      Buffer.concat([
        Buffer.from(
          'file    0644            3  a.txt\n' +
            'dir     0755            0  d/\n' +
            'symlink 0777            7  dangling -> missing\n' +
            'file    0644            8  f',
        ),
        Buffer.from([0xff]),
        Buffer.from('.txt\nsymlink 0777            5  link -> a.txt\nfile    0750           10  run.sh\n'),
      ]),
    );
  });

  it('ls <path>: the children of a directory, or the entry itself; empty directory: nothing / []', () => {
    expect(jvs(['ls', id, 'd'], { cwd: main }).stdout).toBe(
      `file    0644 ${String(BLOB.length).padStart(12)}  d/blob.bin\n` +
        'dir     0700            0  d/empty/\n' +
        'symlink 0777           13  d/escape -> ../../outside\n' +
        'symlink 0777            8  d/up -> ../a.txt\n',
    );
    expect(jvs(['ls', 'HEAD', 'a.txt'], { cwd: main }).stdout).toBe('file    0644            3  a.txt\n');
    expect(jvs(['ls', 'v1', 'd/empty'], { cwd: root })).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(jvs(['ls', 'v1', 'd/empty', '--json'], { cwd: root }).stdout).toBe('[]\n');
  });

  it('ls --json: path, type, mode, size, target; invalid UTF-8 as \\ufffd', () => {
    const r = jvs(['ls', 'v1', '--json'], { cwd: root });
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(list.map((e) => e['path'])).toEqual(['a.txt', 'd', 'dangling', 'f\ufffd.txt', 'link', 'run.sh']);
    expect(list[0]).toEqual({ path: 'a.txt', type: 'file', mode: 420, size: 3 });
    expect(list[1]).toEqual({ path: 'd', type: 'dir', mode: 493, size: 0 });
    expect(list[4]).toEqual({ path: 'link', type: 'symlink', mode: 511, size: 5, target: 'a.txt' });
    expect(r.stdout).toContain('"path": "f\\ufffd.txt",');
    expect(r.stdout).toContain('{\n    "path": "link",\n    "type": "symlink",\n    "mode": 511,\n    "size": 5,\n    "target": "a.txt"\n  }');
  });

  it('ls errors: missing path, bad paths, unknown ref, HEAD outside a worktree', () => {
    expect(jvs(['ls', 'v1', 'zz'], { cwd: root })).toEqual({ stdout: '', stderr: `jvs: ls: path not found in snapshot ${id}: zz\n`, status: 1 });
    expect(jsonError(jvs(['ls', 'v1', 'zz', '--json'], { cwd: root }))).toEqual({ code: 'E_NOT_FOUND', message: `ls: path not found in snapshot ${id}: zz`, hint: '' });
    expect(jsonError(jvs(['ls', 'v1', '../x', '--json'], { cwd: root })).code).toBe('E_PATH_ESCAPE');
    expect(jsonError(jvs(['ls', 'v1', '/etc', '--json'], { cwd: root })).code).toBe('E_PATH_ESCAPE');
    expect(jvs(['ls', 'nope'], { cwd: root })).toEqual({ stdout: '', stderr: 'jvs: ls: no snapshot found matching "nope"\n', status: 1 });
    expect(jsonError(jvs(['ls', 'HEAD', '--json'], { cwd: root })).code).toBe('E_NOT_IN_WORKTREE');
    expect(jvs(['ls'], { cwd: root }).status).toBe(2);
    expect(jvs(['ls', 'a', 'b', 'c'], { cwd: root }).status).toBe(2);
  });

  it('cat: the bytes unchanged (binary, 3 MiB through a pipe), also with --json', () => {
    expect(jvsBytes(['cat', 'v1', 'd/blob.bin'], root).stdout.equals(BLOB)).toBe(true);
    const j = jvsBytes(['cat', '--json', 'v1', 'd/blob.bin'], main);
    expect(j.status).toBe(0);
    expect(j.stdout.equals(BLOB)).toBe(true);
    // The snapshot's bytes, not the worktree's.
    expect(jvs(['cat', 'HEAD', 'a.txt'], { cwd: main })).toEqual({ stdout: 'abc', stderr: '', status: 0 });
    expect(readFileSync(join(main, 'a.txt'), 'utf8')).toBe('changed after the snapshot');
  });

  it('cat follows symlinks inside the snapshot only', () => {
    expect(jvs(['cat', 'v1', 'link'], { cwd: root }).stdout).toBe('abc');
    expect(jvs(['cat', 'v1', 'd/up'], { cwd: root }).stdout).toBe('abc');
    const esc = jvs(['cat', 'v1', 'd/escape', '--json'], { cwd: root });
    expect(esc.stdout).toBe('');
    expect(jsonError(esc).code).toBe('E_PATH_ESCAPE');
    expect(jsonError(jvs(['cat', 'v1', 'dangling', '--json'], { cwd: root })).code).toBe('E_NOT_FOUND');
  });

  it('cat errors: directory [E_USAGE], missing [E_NOT_FOUND], the root marker is invisible, argument count', () => {
    expect(jvs(['cat', 'v1', 'd'], { cwd: root })).toEqual({ stdout: '', stderr: 'jvs: cat: d is a directory\n', status: 2 });
    expect(jsonError(jvs(['cat', 'v1', 'd', '--json'], { cwd: root }))).toEqual({ code: 'E_USAGE', message: 'cat: d is a directory', hint: "See 'jvs cat --help'." });
    expect(jvs(['cat', 'v1', 'zz'], { cwd: root })).toEqual({ stdout: '', stderr: `jvs: cat: path not found in snapshot ${id}: zz\n`, status: 1 });
    expect(jvs(['cat', 'v1', '.READY'], { cwd: root }).stderr).toBe(`jvs: cat: path not found in snapshot ${id}: .READY\n`);
    expect(jsonError(jvs(['cat', 'v1', '../x', '--json'], { cwd: root })).code).toBe('E_PATH_ESCAPE');
    expect(jvs(['cat', 'v1'], { cwd: root })).toMatchObject({ stdout: '', stderr: 'accepts 2 arg(s), received 1\n', status: 2 });
    expect(jvs(['cat', 'v1', 'a.txt'], { cwd: scratch() })).toEqual({
      stdout: '',
      stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n',
      status: 1,
    });
  });
});

describe('jvs ls / cat: the v8.2 fixture', () => {
  it('lists and reads the first snapshot, non-ASCII names included', () => {
    const root = extractFixture(scratch());
    const r = jvs(['ls', FIXTURE_IDS.first], { cwd: root });
    expect(r.stdout).toContain('symlink 0777            5  link -> a.txt\n');
    expect(r.stdout).toContain('  naïve café.txt\n');
    expect(r.stdout).toContain('file    0755           18  run.sh\n');
    expect(r.stdout).not.toContain('.READY');
    expect(jvs(['ls', 'v1', 'sub'], { cwd: root }).stdout).toBe('file    0600            1  sub/b.txt\ndir     0755            0  sub/empty/\n');
    const blob = readFileSync(join(root, '.jvs/snapshots', FIXTURE_IDS.first, 'data/blob.bin'));
    expect(jvsBytes(['cat', 'v1', 'data/blob.bin'], root).stdout.equals(blob)).toBe(true);
    expect(jvs(['cat', 'v2', 'naïve café.txt'], { cwd: root }).status).toBe(0);
  });
});
