// `jvs worktree create|list|path|rename|remove|fork` and the alias `wt` (§2.7) through the
// built CLI: texts, JSON, name validation (§5.5), lookup blocks, refusals.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { freshFixture, FIXTURE_IDS } from '../support/fixture.js';
import { repoWithHistory } from './repo-with-history.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-worktree-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const history = () => repoWithHistory(tmp, `r${n++}`);
const fixture = (): string => freshFixture(tmp, `fx${n++}`);
const short = (id: string): string => id.slice(0, 8);
const TS = '"\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z"';

describe('jvs worktree create', () => {
  it('creates an empty worktree; JSON is its config', async () => {
    const h = await history();
    const r = jvs(['worktree', 'create', 'w1'], { cwd: h.root });
    expect(r).toEqual({ stdout: `Created worktree 'w1' at ${h.root}/worktrees/w1\n`, stderr: '', status: 0 });
    expect(existsSync(join(h.root, 'worktrees/w1'))).toBe(true);
    const j = jvs(['wt', 'create', 'w2', '--json'], { cwd: h.main });
    expect(j.status).toBe(0);
    expect(j.stdout).toMatch(new RegExp(`^\\{\\n  "name": "w2",\\n  "created_at": ${TS}\\n\\}\\n$`));
  });

  it('colors the name green and the path dim', async () => {
    const h = await history();
    const r = jvs(['worktree', 'create', 'w1'], { cwd: h.root, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toBe(`Created worktree '\x1b[32mw1\x1b[0m' at \x1b[2m${h.root}/worktrees/w1\x1b[0m\n`);
  });

  it('--from materializes a snapshot without setting head or latest', async () => {
    const h = await history();
    const r = jvs(['worktree', 'create', 'review', '--from', 'v1'], { cwd: h.root });
    expect(r).toEqual({ stdout: `Created worktree 'review' from snapshot ${h.v1}\nPath: ${h.root}/worktrees/review\n`, stderr: '', status: 0 });
    expect(readFileSync(join(h.root, 'worktrees/review/a.txt'), 'utf8')).toBe('one');
    expect(existsSync(join(h.root, 'worktrees/review/.READY'))).toBe(false);
    const j = jvs(['worktree', 'create', 'review2', `--from=${h.v2}`, '--json'], { cwd: h.root });
    expect(j.stdout).toMatch(new RegExp(`^\\{\\n  "name": "review2",\\n  "base_snapshot_id": "${h.v2}",\\n  "created_at": ${TS}\\n\\}\\n$`));
    expect(jvs(['worktree', 'create', 'x', '--from', 'zzz'], { cwd: h.root })).toEqual({
      stdout: '',
      stderr: "snapshot 'zzz' not found\n  Run jvs history to see available snapshots.\n",
      status: 1,
    });
    expect(existsSync(join(h.root, 'worktrees/x'))).toBe(false);
  });

  it('refuses an existing name and invalid names (§5.5)', async () => {
    const h = await history();
    expect(jvs(['worktree', 'create', 'main'], { cwd: h.root })).toEqual({ stdout: '', stderr: 'jvs: create worktree: worktree main already exists\n', status: 1 });
    expect(jsonError(jvs(['worktree', 'create', 'main', '--json'], { cwd: h.root }))).toEqual({
      code: 'E_EXISTS',
      message: 'create worktree: worktree main already exists',
      hint: '',
    });
    const cases: Array<[string, string]> = [
      ['../evil', "name must not contain '..': ../evil"],
      ['a/b', 'name must not contain separators: a/b'],
      ['', 'name must not be empty'],
      ['.', "name must not be '.': ."],
      ['a b', 'name must match [a-zA-Z0-9._-]+: a b'],
      ['a\tb', 'name must not contain control characters: "a\\tb"'],
    ];
    for (const [name, detail] of cases) {
      expect(jvs(['worktree', 'create', '--', name], { cwd: h.root })).toEqual({ stdout: '', stderr: `jvs: create worktree: E_NAME_INVALID: ${detail}\n`, status: 1 });
      const j = jsonError(jvs(['worktree', 'create', '--json', '--', name], { cwd: h.root }));
      expect(j).toEqual({ code: 'E_NAME_INVALID', message: `create worktree: ${detail}`, hint: '' });
    }
    expect(existsSync(join(tmp, 'evil'))).toBe(false);
    // Names may start with `-` after `--`.
    expect(jvs(['worktree', 'create', '--', '-dash'], { cwd: h.root }).status).toBe(0);
  });

  it('argument count', async () => {
    const h = await history();
    expect(jvs(['worktree', 'create'], { cwd: h.root })).toMatchObject({ stderr: 'accepts 1 arg(s), received 0\n', status: 2 });
    expect(jvs(['wt', 'create', 'a', 'b'], { cwd: h.root })).toMatchObject({ stderr: 'accepts 1 arg(s), received 2\n', status: 2 });
  });
});

describe('jvs worktree list', () => {
  it('one padded line per worktree; heads longer than 16 characters are cut', () => {
    const root = fixture();
    const r = jvs(['worktree', 'list'], { cwd: join(root, '.jvs') });
    const cut = (id: string): string => `${id.slice(0, 16)}...`;
    expect(r).toEqual({
      stdout: `${'feature'.padEnd(20)}  ${cut(FIXTURE_IDS.feature)}\n${'main'.padEnd(20)}  ${cut(FIXTURE_IDS.first)}\n${'scratch'.padEnd(20)}  (none)\n`,
      stderr: '',
      status: 0,
    });
    expect(jvs(['wt', 'list', 'ignored', 'extra'], { cwd: root }).stdout).toBe(r.stdout);
  });

  it('colors heads when color is forced', () => {
    const root = fixture();
    const r = jvs(['worktree', 'list'], { cwd: root, env: { FORCE_COLOR: '1' } });
    expect(r.stdout.split('\n')[0]).toBe(`${'feature'.padEnd(20)}  \x1b[36m${FIXTURE_IDS.feature.slice(0, 16)}\x1b[0m\x1b[2m...\x1b[0m`);
    expect(r.stdout.split('\n')[2]).toBe(`${'scratch'.padEnd(20)}  \x1b[2m(none)\x1b[0m`);
  });

  it('JSON: the configs; null when there is none; malformed entries are skipped with a warning', () => {
    const root = fixture();
    const r = jvs(['worktree', 'list', '--json'], { cwd: root });
    const list = JSON.parse(r.stdout) as Array<Record<string, string>>;
    expect(list.map((w) => w.name)).toEqual(['feature', 'main', 'scratch']);
    expect(Object.keys(list[1]!)).toEqual(['name', 'created_at', 'head_snapshot_id', 'latest_snapshot_id']);
    expect(r.stdout).toContain(`\n    "head_snapshot_id": "${FIXTURE_IDS.first}",\n`);

    mkdirSync(join(root, '.jvs/worktrees/bad'));
    writeFileSync(join(root, '.jvs/worktrees/bad/config.json'), '{not json');
    const warned = jvs(['worktree', 'list'], { cwd: root });
    expect(warned.status).toBe(0);
    expect(warned.stderr).toMatch(/^warning: skipping malformed worktree bad: .+\n$/);
    expect(warned.stdout.split('\n')).toHaveLength(4);

    for (const w of ['bad', 'feature', 'main', 'scratch']) rmSync(join(root, '.jvs/worktrees', w), { recursive: true });
    expect(jvs(['worktree', 'list', '--json'], { cwd: root })).toEqual({ stdout: 'null\n', stderr: '', status: 0 });
    expect(jvs(['worktree', 'list'], { cwd: root })).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});

describe('jvs worktree path', () => {
  it('prints the payload path, also with --json; without a name the current worktree', async () => {
    const h = await history();
    jvs(['worktree', 'create', 'w1'], { cwd: h.root });
    expect(jvs(['worktree', 'path', 'w1'], { cwd: h.root })).toEqual({ stdout: `${h.root}/worktrees/w1\n`, stderr: '', status: 0 });
    expect(jvs(['wt', 'path', 'main', '--json'], { cwd: join(h.root, '.jvs') }).stdout).toBe(`${h.main}\n`);
    expect(jvs(['worktree', 'path'], { cwd: join(h.root, 'worktrees/w1') }).stdout).toBe(`${h.root}/worktrees/w1\n`);
    expect(jvs(['worktree', 'path', '--json'], { cwd: h.main }).stdout).toBe(`${h.main}\n`);
  });

  it('unknown names print the worktree block; no name outside a worktree fails', async () => {
    const h = await history();
    jvs(['worktree', 'create', 'w1'], { cwd: h.root });
    expect(jvs(['worktree', 'path', 'W'], { cwd: h.root })).toEqual({ stdout: '', stderr: "worktree 'W' not found\n  Did you mean: w1?\n", status: 1 });
    expect(jvs(['worktree', 'path', 'nope'], { cwd: h.root }).stderr).toBe("worktree 'nope' not found\n  Available worktrees: main, w1\n");
    expect(jsonError(jvs(['worktree', 'path', 'nope', '--json'], { cwd: h.root }))).toEqual({
      code: 'E_NOT_FOUND',
      message: "worktree 'nope' not found",
      hint: 'Available worktrees: main, w1',
    });
    expect(jvs(['worktree', 'path'], { cwd: h.root })).toEqual({
      stdout: '',
      stderr: 'jvs: not inside a worktree (current directory is not under main/ or worktrees/)\n',
      status: 1,
    });
    expect(jvs(['worktree', 'path', 'a', 'b'], { cwd: h.root })).toMatchObject({ stderr: 'accepts at most 1 arg(s), received 2\n', status: 2 });
  });
});

describe('jvs worktree rename', () => {
  it('renames payload and config; JSON mode prints nothing', async () => {
    const h = await history();
    jvs(['worktree', 'create', 'w1'], { cwd: h.root });
    writeFileSync(join(h.root, 'worktrees/w1/f.txt'), 'kept');
    expect(jvs(['worktree', 'rename', 'w1', 'w2'], { cwd: h.root })).toEqual({ stdout: "Renamed worktree 'w1' to 'w2'\n", stderr: '', status: 0 });
    expect(readFileSync(join(h.root, 'worktrees/w2/f.txt'), 'utf8')).toBe('kept');
    expect(JSON.parse(readFileSync(join(h.root, '.jvs/worktrees/w2/config.json'), 'utf8'))).toMatchObject({ name: 'w2' });
    expect(existsSync(join(h.root, '.jvs/worktrees/w1'))).toBe(false);
    expect(jvs(['wt', 'rename', 'w2', 'w3', '--json'], { cwd: h.root })).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(existsSync(join(h.root, 'worktrees/w3/f.txt'))).toBe(true);
  });

  it('refuses main, an existing target, unknown and invalid names', async () => {
    const h = await history();
    jvs(['worktree', 'create', 'w1'], { cwd: h.root });
    jvs(['worktree', 'create', 'w2'], { cwd: h.root });
    expect(jvs(['worktree', 'rename', 'main', 'x'], { cwd: h.root })).toEqual({ stdout: '', stderr: 'jvs: rename worktree: cannot rename main worktree\n', status: 1 });
    expect(jsonError(jvs(['worktree', 'rename', 'main', 'x', '--json'], { cwd: h.root })).code).toBe('E_NAME_INVALID');
    expect(jvs(['worktree', 'rename', 'w1', 'w2'], { cwd: h.root }).stderr).toBe('jvs: rename worktree: worktree w2 already exists\n');
    expect(jsonError(jvs(['worktree', 'rename', 'w1', 'w2', '--json'], { cwd: h.root })).code).toBe('E_EXISTS');
    expect(jvs(['worktree', 'rename', 'nope', 'x'], { cwd: h.root }).stderr).toBe("worktree 'nope' not found\n  Available worktrees: main, w1, w2\n");
    expect(jvs(['worktree', 'rename', 'w1', '../x'], { cwd: h.root })).toEqual({
      stdout: '',
      stderr: "jvs: rename worktree: E_NAME_INVALID: name must not contain '..': ../x\n",
      status: 1,
    });
    expect(jvs(['worktree', 'rename', 'w1'], { cwd: h.root })).toMatchObject({ stderr: 'accepts 2 arg(s), received 1\n', status: 2 });
    expect(existsSync(join(h.root, 'worktrees/w1'))).toBe(true);
    expect(existsSync(join(h.main, 'a.txt'))).toBe(true);
  });
});

describe('jvs worktree remove', () => {
  it('deletes payload and config, snapshots stay; JSON mode prints nothing', async () => {
    const h = await history();
    jvs(['worktree', 'create', 'w1', '--from', 'v1'], { cwd: h.root });
    expect(jvs(['worktree', 'remove', 'w1'], { cwd: h.root })).toEqual({ stdout: "Removed worktree 'w1'\n", stderr: '', status: 0 });
    expect(existsSync(join(h.root, 'worktrees/w1'))).toBe(false);
    expect(existsSync(join(h.root, '.jvs/worktrees/w1'))).toBe(false);
    expect(existsSync(join(h.root, '.jvs/snapshots', h.v1))).toBe(true);
    jvs(['worktree', 'create', 'w2'], { cwd: h.root });
    expect(jvs(['wt', 'remove', 'w2', '--json'], { cwd: h.root })).toEqual({ stdout: '', stderr: '', status: 0 });
  });

  it('a detached worktree needs --force: guidance on stdout in text mode, nothing in JSON mode', () => {
    const root = fixture();
    // The fixture's main is detached: that refusal comes before the main check.
    expect(jvs(['worktree', 'remove', 'main'], { cwd: root })).toEqual({
      stdout: `\nCurrent position: ${FIXTURE_IDS.first}\nLatest snapshot: ${FIXTURE_IDS.chain}\n\nTo remove anyway, use: jvs worktree remove --force main\n`,
      stderr: "jvs: worktree 'main' is in detached state\n",
      status: 1,
    });
    const j = jvs(['worktree', 'remove', 'main', '--json'], { cwd: root });
    expect(j.stdout).toBe('');
    expect(j.status).toBe(1);
    expect(jsonError(j)).toEqual({
      code: 'E_DETACHED',
      message: "worktree 'main' is in detached state",
      hint: 'To remove anyway, use: jvs worktree remove --force main',
    });
    expect(jvs(['worktree', 'remove', '--force', 'main'], { cwd: root })).toEqual({ stdout: '', stderr: 'jvs: remove worktree: cannot remove main worktree\n', status: 1 });
    expect(existsSync(join(root, 'main/a.txt'))).toBe(true);
  });

  it('-f removes a detached worktree; main and unknown names are refused', async () => {
    const h = await history();
    jvs(['worktree', 'fork', 'v2', 'side'], { cwd: h.main });
    const side = join(h.root, 'worktrees/side');
    writeFileSync(join(side, 'c.txt'), 'c');
    jvs(['restore', '--discard', h.v1], { cwd: side });
    expect(jvs(['worktree', 'remove', 'side'], { cwd: h.root }).status).toBe(1);
    expect(existsSync(side)).toBe(true);
    expect(jvs(['worktree', 'remove', '-f', 'side'], { cwd: h.root })).toEqual({ stdout: "Removed worktree 'side'\n", stderr: '', status: 0 });
    expect(existsSync(side)).toBe(false);
    expect(jvs(['worktree', 'remove', 'main'], { cwd: h.root })).toEqual({ stdout: '', stderr: 'jvs: remove worktree: cannot remove main worktree\n', status: 1 });
    expect(jsonError(jvs(['worktree', 'remove', 'main', '--json'], { cwd: h.root })).code).toBe('E_NAME_INVALID');
    expect(jvs(['worktree', 'remove', 'nope'], { cwd: h.root })).toEqual({ stdout: '', stderr: "worktree 'nope' not found\n  Available worktrees: main\n", status: 1 });
    expect(jvs(['worktree', 'remove', '../x'], { cwd: h.root }).stderr).toBe("worktree '../x' not found\n  Available worktrees: main\n");
  });
});

describe('jvs worktree fork', () => {
  it('without arguments forks the current head as fork-<SHORT>', async () => {
    const h = await history();
    const r = jvs(['worktree', 'fork'], { cwd: h.main });
    const name = `fork-${short(h.v2)}`;
    expect(r).toEqual({
      stdout: `Created worktree '${name}' from snapshot ${h.v2}\nPath: ${h.root}/worktrees/${name}\nWorktree is at HEAD state - you can create snapshots.\n`,
      stderr: '',
      status: 0,
    });
    expect(readFileSync(join(h.root, 'worktrees', name, 'b.txt'), 'utf8')).toBe('bee');
    expect(jvs(['worktree', 'fork'], { cwd: h.main })).toEqual({ stdout: '', stderr: `jvs: fork worktree: worktree ${name} already exists\n`, status: 1 });
  });

  it('one argument: a ref if it resolves, else the new name; two: ref and name', async () => {
    const h = await history();
    expect(jvs(['wt', 'fork', 'first'], { cwd: h.main }).stdout).toContain(`Created worktree 'fork-${short(h.v1)}' from snapshot ${h.v1}\n`);
    expect(jvs(['worktree', 'fork', 'hotfix'], { cwd: h.main }).stdout).toContain(`Created worktree 'hotfix' from snapshot ${h.v2}\n`);
    // Ambiguous (`v` prefixes both tags): the argument is a name.
    expect(jvs(['worktree', 'fork', 'v'], { cwd: h.main }).stdout).toContain(`Created worktree 'v' from snapshot ${h.v2}\n`);
    const j = jvs(['worktree', 'fork', 'v1', 'exp', '--json'], { cwd: h.main });
    expect(j.stdout).toMatch(
      new RegExp(
        `^\\{\\n  "name": "exp",\\n  "base_snapshot_id": "${h.v1}",\\n  "head_snapshot_id": "${h.v1}",\\n  "latest_snapshot_id": "${h.v1}",\\n  "created_at": ${TS}\\n\\}\\n$`,
      ),
    );
    expect(readFileSync(join(h.root, 'worktrees/exp/a.txt'), 'utf8')).toBe('one');
    expect(jvs(['worktree', 'fork', 'zzz', 'x'], { cwd: h.main })).toEqual({
      stdout: '',
      stderr: "snapshot 'zzz' not found\n  Run jvs history to see available snapshots.\n",
      status: 1,
    });
    expect(jvs(['worktree', 'fork', 'v1', 'a/b'], { cwd: h.main }).stderr).toBe('jvs: fork worktree: E_NAME_INVALID: name must not contain separators: a/b\n');
    expect(jvs(['worktree', 'fork', 'a', 'b', 'c'], { cwd: h.main })).toMatchObject({ stderr: 'accepts at most 2 arg(s), received 3\n', status: 2 });
  });

  it('works in detached state; needs a worktree with snapshots', () => {
    const root = fixture();
    const r = jvs(['worktree', 'fork', 'detached-fork'], { cwd: join(root, 'main') });
    expect(r.stdout).toContain(`Created worktree 'detached-fork' from snapshot ${FIXTURE_IDS.first}\n`);
    expect(existsSync(join(root, 'worktrees/detached-fork/.READY'))).toBe(false);
    expect(jvs(['worktree', 'fork'], { cwd: join(root, 'worktrees/scratch') })).toEqual({
      stdout: '',
      stderr: 'jvs: current worktree has no snapshots to fork from\n',
      status: 1,
    });
    expect(jvs(['worktree', 'fork'], { cwd: root }).stderr).toBe('jvs: not inside a worktree (current directory is not under main/ or worktrees/)\n');
  });
});

describe('jvs worktree (group)', () => {
  it('bare group prints help; an unknown subcommand is a usage error', async () => {
    const h = await history();
    const r = jvs(['wt'], { cwd: h.root });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('fork');
    expect(jvs(['worktree', 'bogus'], { cwd: h.root })).toMatchObject({ stderr: expect.stringContaining('unknown command "bogus" for "jvs worktree"'), status: 2 });
  });
});
