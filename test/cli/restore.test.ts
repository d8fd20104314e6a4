// `jvs restore` (§2.6) through the built CLI: texts, JSON, safety snapshots, --discard, HEAD,
// paths after `--`, `-i` with piped answers, and the lookup failures.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { ID, repoWithHistory } from './repo-with-history.js';
import { hasScript, jsonError, jvs, jvsInTerminal } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-restore-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const history = () => repoWithHistory(tmp, `r${n++}`);
const short = (id: string): string => id.slice(0, 8);

const config = (root: string, name = 'main') => JSON.parse(readFileSync(join(root, '.jvs/worktrees', name, 'config.json'), 'utf8')) as Record<string, string>;
const detachedText = (id: string): string =>
  `\nRestored to snapshot ${id}\nWorktree is now in DETACHED state.\nTo continue working from here: jvs worktree fork <name>\nTo return to latest: jvs restore HEAD\n`;

describe('jvs restore <ref>', () => {
  it('restores an older snapshot by id: detached, then HEAD returns to the latest', async () => {
    const h = await history();
    const r = jvs(['restore', h.v1], { cwd: h.main });
    expect(r).toEqual({ stdout: detachedText(h.v1), stderr: '', status: 0 });
    expect(readFileSync(join(h.main, 'a.txt'), 'utf8')).toBe('one');
    expect(existsSync(join(h.main, 'b.txt'))).toBe(false);
    expect(config(h.root)).toMatchObject({ head_snapshot_id: h.v1, latest_snapshot_id: h.v2 });

    const back = jvs(['restore', 'HEAD'], { cwd: h.main });
    expect(back).toEqual({ stdout: `Restored to latest snapshot ${h.v2}\nWorktree is now at HEAD state.\n`, stderr: '', status: 0 });
    expect(readFileSync(join(h.main, 'b.txt'), 'utf8')).toBe('bee');
  });

  it('restoring the latest by tag says HEAD state; fuzzy note prefixes resolve', async () => {
    const h = await history();
    expect(jvs(['restore', 'first'], { cwd: h.main }).stdout).toBe(detachedText(h.v1));
    const r = jvs(['restore', 'v2'], { cwd: h.main });
    expect(r.stdout).toBe(`\nRestored to snapshot ${h.v2}\nWorktree is now at HEAD state.\n`);
  });

  it('saves unsnapshotted changes as a safety snapshot first', async () => {
    const h = await history();
    writeFileSync(join(h.main, 'a.txt'), 'unsaved');
    const r = jvs(['restore', h.v1], { cwd: h.main });
    expect(r.status).toBe(0);
    const m = /^Saved unsnapshotted changes as snapshot (\S+)\n/.exec(r.stdout);
    expect(m?.[1]).toMatch(ID);
    const sid = m![1]!;
    expect(r.stdout).toBe(`Saved unsnapshotted changes as snapshot ${sid}\n${detachedText(h.v1)}`);
    const d = JSON.parse(readFileSync(join(h.root, '.jvs/descriptors', `${sid}.json`), 'utf8')) as { note: string; tags: string[] };
    expect(d.note).toBe(`safety: before restore to ${h.v1}`);
    expect(d.tags).toEqual(['jvs-safety']);
    expect(readFileSync(join(h.root, '.jvs/snapshots', sid, 'a.txt'), 'utf8')).toBe('unsaved');
    // Head and latest are not moved by the safety snapshot.
    expect(config(h.root)).toMatchObject({ head_snapshot_id: h.v1, latest_snapshot_id: h.v2 });
  });

  it('--discard drops unsnapshotted changes without a safety snapshot', async () => {
    const h = await history();
    writeFileSync(join(h.main, 'a.txt'), 'unsaved');
    const r = jvs(['restore', '--discard', h.v1], { cwd: h.main });
    expect(r).toEqual({ stdout: detachedText(h.v1), stderr: '', status: 0 });
    expect(readFileSync(join(h.main, 'a.txt'), 'utf8')).toBe('one');
  });

  it('prints the JSON map: boolean detached, safety_snapshot_id only when taken', async () => {
    const h = await history();
    let r = jvs(['restore', h.v1, '--json'], { cwd: h.main });
    expect(r).toEqual({ stdout: `{\n  "detached": true,\n  "snapshot_id": "${h.v1}",\n  "status": "restored"\n}\n`, stderr: '', status: 0 });
    r = jvs(['--json', 'restore', 'HEAD'], { cwd: h.main });
    expect(r.stdout).toBe(`{\n  "detached": false,\n  "snapshot_id": "${h.v2}",\n  "status": "restored"\n}\n`);
    writeFileSync(join(h.main, 'new.txt'), 'x');
    r = jvs(['restore', h.v1, '--json'], { cwd: h.main });
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['detached', 'safety_snapshot_id', 'snapshot_id', 'status']);
    expect(out['safety_snapshot_id']).toMatch(ID);
  });
});

describe('jvs restore: colors', () => {
  it('id cyan, DETACHED yellow, guidance dim; HEAD state green; restore HEAD plain', async () => {
    const h = await history();
    const env = { FORCE_COLOR: '1' };
    expect(jvs(['restore', h.v1], { cwd: h.main, env }).stdout).toBe(
      `\nRestored to snapshot \x1b[36m${h.v1}\x1b[0m\n\x1b[33mWorktree is now in DETACHED state.\x1b[0m\n` +
        '\x1b[2mTo continue working from here: jvs worktree fork <name>\x1b[0m\n\x1b[2mTo return to latest: jvs restore HEAD\x1b[0m\n',
    );
    expect(jvs(['restore', 'HEAD'], { cwd: h.main, env }).stdout).toBe(`Restored to latest snapshot ${h.v2}\nWorktree is now at HEAD state.\n`);
    expect(jvs(['restore', 'v2'], { cwd: h.main, env }).stdout).toBe(`\nRestored to snapshot \x1b[36m${h.v2}\x1b[0m\n\x1b[32mWorktree is now at HEAD state.\x1b[0m\n`);
    expect(jvs(['restore', 'v1', '--no-color'], { cwd: h.main, env }).stdout).toBe(detachedText(h.v1));
  });
});

describe('jvs restore <ref> -- <path>...', () => {
  it('restores only the paths and leaves the head', async () => {
    const h = await history();
    writeFileSync(join(h.main, 'b.txt'), 'changed b');
    const r = jvs(['restore', '--discard', h.v1, '--', 'a.txt'], { cwd: h.main });
    expect(r).toEqual({ stdout: `Restored 1 paths from snapshot ${h.v1}\n`, stderr: '', status: 0 });
    expect(readFileSync(join(h.main, 'a.txt'), 'utf8')).toBe('one');
    expect(readFileSync(join(h.main, 'b.txt'), 'utf8')).toBe('changed b');
    expect(config(h.root)).toMatchObject({ head_snapshot_id: h.v2, latest_snapshot_id: h.v2 });
  });

  it('JSON lists the paths; a path absent from snapshot and worktree is E_NOT_FOUND', async () => {
    const h = await history();
    const r = jvs(['restore', h.v1, '--json', '--', 'a.txt', 'b.txt'], { cwd: h.main });
    expect(r.stdout).toBe(`{\n  "detached": false,\n  "paths": [\n    "a.txt",\n    "b.txt"\n  ],\n  "snapshot_id": "${h.v1}",\n  "status": "restored"\n}\n`);
    expect(existsSync(join(h.main, 'b.txt'))).toBe(false);
    const missing = jvs(['restore', h.v1, '--', 'nope.txt'], { cwd: h.main });
    expect(missing).toEqual({ stdout: '', stderr: 'jvs: restore: path not found in snapshot or worktree: nope.txt\n', status: 1 });
  });

  it('a safety snapshot is announced before the paths line', async () => {
    const h = await history();
    writeFileSync(join(h.main, 'a.txt'), 'unsaved');
    const r = jvs(['restore', h.v1, '--', 'a.txt'], { cwd: h.main });
    expect(r.stdout).toMatch(new RegExp(`^Saved unsnapshotted changes as snapshot \\d{13}-[0-9a-f]{8}\\n\\nRestored 1 paths from snapshot ${h.v1}\\n$`));
  });

  it('`--` without paths, or before the ref, is a usage error', async () => {
    const h = await history();
    expect(jvs(['restore', h.v1, '--'], { cwd: h.main })).toEqual({ stdout: '', stderr: 'jvs: restore: no paths given after --\n', status: 2 });
    const j = jvs(['restore', h.v1, '--', '--json'], { cwd: h.main });
    expect(j.status).toBe(1); // `--json` after `--` is a path, not the flag
    const js = jvs(['--json', 'restore', h.v1, '--'], { cwd: h.main });
    expect(js.status).toBe(2);
    expect(jsonError(js)).toEqual({ code: 'E_USAGE', message: 'restore: no paths given after --', hint: "See 'jvs restore --help'." });
    expect(jvs(['restore', '--', h.v1], { cwd: h.main })).toMatchObject({ stderr: 'accepts 1 arg(s), received 0\n', status: 2 });
    expect(jvs(['restore'], { cwd: h.main })).toMatchObject({ stderr: 'accepts 1 arg(s), received 0\n', status: 2 });
  });
});

describe('jvs restore: failures', () => {
  it('an unknown ref prints the not-found block, with suggestions when some rank', async () => {
    const h = await history();
    expect(jvs(['restore', 'zzz'], { cwd: h.main })).toEqual({
      stdout: '',
      stderr: "snapshot 'zzz' not found\n  Run jvs history to see available snapshots.\n",
      status: 1,
    });
    expect(jvs(['restore', 'econd'], { cwd: h.main }).stderr).toBe(`snapshot 'econd' not found\n  Did you mean: ${short(h.v2)} (second note)?\n`);
    const amb = jvs(['restore', 'v'], { cwd: h.main });
    expect(amb.stderr).toBe(`snapshot 'v' not found\n  Did you mean one of: ${short(h.v2)} (second note), ${short(h.v1)} (first note)?\n`);
    const j = jvs(['restore', 'v', '--json'], { cwd: h.main });
    expect(j.stdout).toBe('');
    expect(jsonError(j)).toEqual({
      code: 'E_AMBIGUOUS_REF',
      message: "snapshot 'v' not found",
      hint: `Did you mean one of: ${short(h.v2)} (second note), ${short(h.v1)} (first note)?`,
    });
    expect(jsonError(jvs(['restore', 'zzz', '--json'], { cwd: h.main })).code).toBe('E_NOT_FOUND');
  });

  it('HEAD without snapshots, outside a worktree, outside a repository', async () => {
    const h = await history();
    expect(jvs(['worktree', 'create', 'empty'], { cwd: h.root }).status).toBe(0);
    expect(jvs(['restore', 'HEAD'], { cwd: join(h.root, 'worktrees/empty') })).toEqual({
      stdout: '',
      stderr: 'jvs: restore to latest: worktree has no snapshots\n',
      status: 1,
    });
    expect(jvs(['restore', h.v1], { cwd: h.root })).toEqual({
      stdout: '',
      stderr: 'jvs: not inside a worktree (current directory is not under main/ or worktrees/)\n',
      status: 1,
    });
    expect(jvs(['restore', h.v1], { cwd: tmp })).toMatchObject({
      stderr: 'jvs: not a JVS repository: no JVS repository found (no .jvs/ in parent directories)\n',
      status: 1,
    });
  });
});

describe('jvs restore -i', () => {
  it('an exact id is only confirmed: y restores', async () => {
    const h = await history();
    const r = jvs(['restore', '-i', h.v1], { cwd: h.main, input: 'y\n' });
    expect(r).toEqual({ stdout: `\nRestore to ${h.v1}? (first note) [y/N]: ${detachedText(h.v1)}`, stderr: '', status: 0 });
    expect(readFileSync(join(h.main, 'a.txt'), 'utf8')).toBe('one');
  });

  it('n, any other answer, and end of input cancel (exit 0, nothing changed)', async () => {
    const h = await history();
    for (const input of ['n\n', 'maybe\n', '']) {
      const r = jvs(['restore', '--interactive', h.v1], { cwd: h.main, input });
      expect(r).toEqual({ stdout: `\nRestore to ${h.v1}? (first note) [y/N]: Restore cancelled.\n`, stderr: '', status: 0 });
    }
    expect(readFileSync(join(h.main, 'a.txt'), 'utf8')).toBe('two');
    expect(config(h.root)['head_snapshot_id']).toBe(h.v2);
  });

  it('lists ranked matches, reads the number and the confirmation from one piped stdin', async () => {
    const h = await history();
    const r = jvs(['restore', '-i', 'note'], { cwd: h.main, input: '2\nYES\n' });
    const d = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.source;
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^Matching snapshots:\\n\\n` +
          `> 1\\. ${short(h.v2)} second note \\[v2\\]\\n   ${d} by note\\n\\n` +
          `  2\\. ${short(h.v1)} first note \\[v1\\]\\n   ${d} by note\\n\\n` +
          `\\nSelect snapshot to restore \\[1-2\\]: ` +
          `\\nRestore to ${short(h.v1)}\\? \\(first note\\) \\[y/N\\]: \\n` +
          `Restored to snapshot ${h.v1}\\n`,
      ),
    );
    expect(config(h.root)['head_snapshot_id']).toBe(h.v1);
  });

  it('a selection out of range or missing cancels', async () => {
    const h = await history();
    for (const input of ['3\n', 'x\n', '']) {
      const r = jvs(['restore', '-i', 'note'], { cwd: h.main, input });
      expect(r.stdout).toMatch(/\nSelect snapshot to restore \[1-2\]: Restore cancelled\.\n$/);
      expect(r.status).toBe(0);
    }
  });

  it('one match scoring ≥ 700 (a tag) skips the selection', async () => {
    const h = await history();
    const r = jvs(['restore', '-i', 'v1'], { cwd: h.main, input: 'y\n' });
    expect(r.stdout).toMatch(new RegExp(`^Matching snapshots:\\n\\n> 1\\. ${short(h.v1)} first note \\[v1\\]\\n   .* by tag\\n\\n\\nRestore to ${short(h.v1)}\\? \\(first note\\) \\[y/N\\]: \\n`));
    expect(r.stdout).not.toContain('Select snapshot');
    expect(config(h.root)['head_snapshot_id']).toBe(h.v1);
  });

  it('no match prints the not-found block; --json ignores -i', async () => {
    const h = await history();
    expect(jvs(['restore', '-i', 'zzz'], { cwd: h.main, input: '1\ny\n' })).toEqual({
      stdout: '',
      stderr: "snapshot 'zzz' not found\n  Run jvs history to see available snapshots.\n",
      status: 1,
    });
    const j = jvs(['restore', '-i', h.v1, '--json'], { cwd: h.main });
    expect(j.stdout).toBe(`{\n  "detached": true,\n  "snapshot_id": "${h.v1}",\n  "status": "restored"\n}\n`);
  });

  it('HEAD confirms the latest snapshot', async () => {
    const h = await history();
    jvs(['restore', h.v1], { cwd: h.main });
    const r = jvs(['restore', '-i', 'HEAD'], { cwd: h.main, input: 'y\n' });
    expect(r.stdout).toBe(`\nRestore to ${h.v2}? (second note) [y/N]: Restored to latest snapshot ${h.v2}\nWorktree is now at HEAD state.\n`);
  });
});

describe('restore progress', () => {
  it.runIf(hasScript)('in a terminal the bar is cleared before the result; never drawn into a pipe', () => {
    const dir = mkdtempSync(join(tmp, 'bar-'));
    expect(jvs(['init', 'r'], { cwd: dir }).status).toBe(0);
    const main = join(dir, 'r', 'main');
    const env = { JVS_ENGINE: 'copy' };
    writeFileSync(join(main, 'big'), Buffer.alloc(64 << 20, 1));
    expect(jvs(['snapshot', 'one'], { cwd: main, env }).status).toBe(0);
    writeFileSync(join(main, 'big'), Buffer.alloc(64 << 20, 2));
    expect(jvs(['snapshot', 'two'], { cwd: main, env }).status).toBe(0);
    const r = jvsInTerminal(['restore', 'one'], { cwd: main, env });
    expect(r.status).toBe(0);
    const after = r.stdout.split('\x1b[K').at(-1)!;
    expect(after).toMatch(/^\r\nRestored to snapshot /);
    const piped = jvs(['restore', 'two'], { cwd: main, env });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
  });
});

describe('an interrupted restore (§2.6 step 6)', () => {
  const journals = (root: string): string[] => readdirSync(join(root, '.jvs/ext/restore'));

  it('killed after applying: the next `jvs snapshot` completes it, says so, then refuses the detached state', async () => {
    const h = await history();
    const killed = jvs(['restore', h.v1], { cwd: h.main, env: { JVS_CRASH_AT: 'restore:applied' } });
    expect(killed.status).toBe(-1); // SIGKILL: no exit status
    expect(config(h.root)).toMatchObject({ head_snapshot_id: h.v2 });
    expect(journals(h.root)).toEqual(['main.json']);

    // Step 2 sees head = latest; step 9 completes the restore to v1, and the re-check refuses.
    const r = jvs(['snapshot', '--json', 'after'], { cwd: h.main });
    expect(r.stderr.split('\n')[0]).toBe(`note: completed interrupted restore to ${h.v1}`);
    expect(jsonError(r).code).toBe('E_DETACHED');
    expect(r.status).toBe(1);
    expect(config(h.root)).toMatchObject({ head_snapshot_id: h.v1, latest_snapshot_id: h.v2 });
    expect(readFileSync(join(h.main, 'a.txt'), 'utf8')).toBe('one');
    expect(existsSync(join(h.main, 'b.txt'))).toBe(false);
    expect(journals(h.root)).toEqual([]);
  });

  it('killed after moving head: the next `jvs snapshot` completes it, says so, and snapshots', async () => {
    const h = await history();
    expect(jvs(['restore', h.v1], { cwd: h.main }).status).toBe(0);
    expect(jvs(['restore', 'HEAD'], { cwd: h.main, env: { JVS_CRASH_AT: 'restore:head' } }).status).toBe(-1);
    expect(journals(h.root)).toEqual(['main.json']);

    writeFileSync(join(h.main, 'c.txt'), 'new');
    const r = jvs(['snapshot', '--json', 'after'], { cwd: h.main });
    expect(r.stderr).toBe(`note: completed interrupted restore to ${h.v2}\n`);
    expect(r.status).toBe(0);
    const id = (JSON.parse(r.stdout) as { snapshot_id: string }).snapshot_id;
    expect(config(h.root)).toMatchObject({ head_snapshot_id: id, latest_snapshot_id: id });
    expect(readFileSync(join(h.main, 'b.txt'), 'utf8')).toBe('bee');
    expect(journals(h.root)).toEqual([]);
    expect(jvs(['snapshot', 'again'], { cwd: h.main }).stderr).toBe('');
  });
});
