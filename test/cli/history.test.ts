// `jvs history` (§2.4) through the built CLI.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-history-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));
const ENV = { JVS_ENGINE: 'copy' };

/** `YYYY-MM-DD HH:MM` of a descriptor, in UTC. */
function minute(root: string, id: string): string {
  const created = (JSON.parse(readFileSync(join(root, '.jvs/descriptors', `${id}.json`), 'utf8')) as { created_at: string }).created_at;
  return `${created.slice(0, 10)} ${created.slice(11, 16)}`;
}

function snap(cwd: string, ...args: string[]): string {
  const r = jvs(['snapshot', '--json', ...args], { cwd, env: ENV });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { snapshot_id: string }).snapshot_id;
}

describe('jvs history: lineage of a worktree', () => {
  let root: string;
  let main: string;
  let ids: string[];
  beforeAll(() => {
    const dir = scratch();
    jvs(['init', 'r'], { cwd: dir });
    root = join(dir, 'r');
    main = join(root, 'main');
    writeFileSync(join(main, 'f'), '1');
    ids = [snap(main, 'first note', '--tag', 'v1,rel'), snap(main), snap(main, 'third', '--tag', 'v3')];
  });
  const line = (i: number, rest: string): string => `${ids[i]!.slice(0, 8)}  ${minute(root, ids[i]!)}  ${rest}`;

  it('one line per snapshot, newest first; [HEAD] on latest, then the marker', () => {
    const r = jvs(['history'], { cwd: main });
    expect(r).toEqual({
      stdout: [line(2, 'third  [v3]  [HEAD]'), '◄── you are here (HEAD)', line(1, '(no note)'), line(0, 'first note  [v1,rel]'), ''].join('\n'),
      stderr: '',
      status: 0,
    });
    // Extra positionals are ignored.
    expect(jvs(['history', 'x', 'y'], { cwd: join(main) }).stdout).toBe(r.stdout);
  });

  it('colors: SHORT cyan, date dim, (no note) dim, tags blue, [HEAD] bold, marker green', () => {
    const r = jvs(['history', '-n', '2'], { cwd: main, env: { FORCE_COLOR: '1' } });
    const c = (code: number, s: string): string => `\x1b[${code}m${s}\x1b[0m`;
    expect(r.stdout).toBe(
      [
        `${c(36, ids[2]!.slice(0, 8))}  ${c(2, minute(root, ids[2]!))}  third  [${c(34, 'v3')}]  ${c(1, '[HEAD]')}`,
        c(32, '◄── you are here (HEAD)'),
        `${c(36, ids[1]!.slice(0, 8))}  ${c(2, minute(root, ids[1]!))}  ${c(2, '(no note)')}`,
        '',
      ].join('\n'),
    );
  });

  it('--json: the descriptors newest first, exactly as stored', () => {
    const r = jvs(['history', '--json'], { cwd: main });
    const list = JSON.parse(r.stdout) as Array<{ snapshot_id: string }>;
    expect(list.map((d) => d.snapshot_id)).toEqual([...ids].reverse());
    const stored = ids
      .slice()
      .reverse()
      .map((id) => readFileSync(join(root, '.jvs/descriptors', `${id}.json`), 'utf8').replace(/^/gm, '  '));
    expect(r.stdout).toBe(`[\n${stored.join(',\n')}\n]\n`);
  });

  it('filters: --grep (case-sensitive), --tag (exact), -n/--limit; nothing left → `No snapshots found.` / null', () => {
    expect(jvs(['history', '-g', 'note'], { cwd: main }).stdout).toBe(`${line(0, 'first note  [v1,rel]')}\n`);
    expect(jvs(['history', '--grep', 'NOTE'], { cwd: main })).toEqual({ stdout: 'No snapshots found.\n', stderr: '', status: 0 });
    expect(jvs(['history', '--grep', 'NOTE', '--json'], { cwd: main }).stdout).toBe('null\n');
    expect(jvs(['history', '--tag', 'rel'], { cwd: main }).stdout).toBe(`${line(0, 'first note  [v1,rel]')}\n`);
    expect(jvs(['history', '--tag', 're'], { cwd: main }).stdout).toBe('No snapshots found.\n');
    expect(jvs(['history', '-n', '1'], { cwd: main }).stdout).toBe(`${line(2, 'third  [v3]  [HEAD]')}\n◄── you are here (HEAD)\n`);
    expect(jvs(['history', '--limit=0', '--json'], { cwd: main }).stdout.match(/"snapshot_id"/g)).toHaveLength(3);
    expect(jvs(['history', '-n', '-1', '--json'], { cwd: main }).stdout).toBe('null\n');
    expect(jvs(['history', '-n', 'x'], { cwd: main })).toMatchObject({
      stderr: 'invalid argument "x" for "-n, --limit" flag: strconv.ParseInt: parsing "x": invalid syntax\n',
      status: 2,
    });
  });

  it('--all from the repo root and from .jvs/: no markers, no [HEAD]; inside a worktree not detached: no marker either', () => {
    const expected = [line(2, 'third  [v3]'), line(1, '(no note)'), line(0, 'first note  [v1,rel]'), ''].join('\n');
    for (const cwd of [root, join(root, '.jvs'), join(root, '.jvs', 'descriptors'), main]) {
      expect(jvs(['history', '--all'], { cwd }), cwd).toEqual({ stdout: expected, stderr: '', status: 0 });
    }
    expect(jvs(['history', '--all', '-n', '2'], { cwd: root }).stdout.split('\n')).toHaveLength(3);
  });

  it('without --all it is worktree-scoped', () => {
    expect(jvs(['history'], { cwd: root })).toEqual({
      stdout: '',
      stderr: 'jvs: not inside a worktree (current directory is not under main/ or worktrees/)\n',
      status: 1,
    });
    expect(jsonError(jvs(['history', '--json'], { cwd: join(root, '.jvs') })).code).toBe('E_NOT_IN_WORKTREE');
    const outside = scratch();
    expect(jvs(['history'], { cwd: outside }).stderr).toBe('jvs: not a JVS repository: no JVS repository found (no .jvs/ in parent directories)\n');
    expect(jvs(['history', '--all'], { cwd: outside })).toEqual({
      stdout: '',
      stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n',
      status: 1,
    });
  });
});

describe('jvs history: empty', () => {
  it('a worktree without head: `No snapshots yet.` / JSON []; --all in an empty repository: `No snapshots found.` / null', () => {
    const dir = scratch();
    jvs(['init', 'r'], { cwd: dir });
    const main = join(dir, 'r', 'main');
    expect(jvs(['history'], { cwd: main })).toEqual({ stdout: 'No snapshots yet.\n', stderr: '', status: 0 });
    expect(jvs(['history', '--json'], { cwd: main }).stdout).toBe('[]\n');
    expect(jvs(['history', '--json', '--grep', 'x'], { cwd: main }).stdout).toBe('[]\n');
    expect(jvs(['history', '--all'], { cwd: main }).stdout).toBe('No snapshots found.\n');
    expect(jvs(['history', '--all', '--json'], { cwd: main }).stdout).toBe('null\n');
  });
});

describe('jvs history: the v8.2 fixture', () => {
  let root: string;
  beforeAll(() => {
    root = extractFixture(scratch());
  });
  const short = (id: string): string => id.slice(0, 8);
  const line = (id: string, rest: string): string => `${short(id)}  ${minute(root, id)}  ${rest}`;
  const { first, second, feature, chain } = FIXTURE_IDS;

  it('main is detached at first (latest chain): one entry, the detached marker, no [HEAD]', () => {
    expect(jvs(['history'], { cwd: join(root, 'main') })).toEqual({
      stdout: `${line(first, 'first note  [v1,rel]')}\n◄── you are here (detached)\n`,
      stderr: '',
      status: 0,
    });
    expect(jvs(['history'], { cwd: join(root, 'main'), env: { FORCE_COLOR: '1' } }).stdout).toMatch(/\n\x1b\[2m◄── you are here \(detached\)\x1b\[0m\n$/);
  });

  it('--all: every snapshot newest first; the detached marker inside main, none at the root', () => {
    const all = [line(chain, '(no note)  [chain]'), line(feature, 'feature work  [feat]'), line(second, 'second: edited a  [v2]'), line(first, 'first note  [v1,rel]')];
    expect(jvs(['history', '--all'], { cwd: root }).stdout).toBe(`${all.join('\n')}\n`);
    expect(jvs(['history', '--all'], { cwd: join(root, '.jvs') }).stdout).toBe(`${all.join('\n')}\n`);
    expect(jvs(['history', '--all'], { cwd: join(root, 'main') }).stdout).toBe(`${all.join('\n')}\n◄── you are here (detached)\n`);
    // In feature (not detached) --all shows no marker.
    expect(jvs(['history', '--all'], { cwd: join(root, 'worktrees', 'feature') }).stdout).toBe(`${all.join('\n')}\n`);
    const ids = (JSON.parse(jvs(['history', '--all', '--json'], { cwd: root }).stdout) as Array<{ snapshot_id: string }>).map((d) => d.snapshot_id);
    expect(ids).toEqual([chain, feature, second, first]);
  });

  it('feature: its own snapshot then the fork point; scratch: no snapshots yet', () => {
    expect(jvs(['history'], { cwd: join(root, 'worktrees', 'feature') }).stdout).toBe(
      `${line(feature, 'feature work  [feat]  [HEAD]')}\n◄── you are here (HEAD)\n${line(first, 'first note  [v1,rel]')}\n`,
    );
    mkdirSync(join(root, 'worktrees', 'scratch', 'sub'), { recursive: true });
    expect(jvs(['history'], { cwd: join(root, 'worktrees', 'scratch', 'sub') }).stdout).toBe('No snapshots yet.\n');
  });
});
