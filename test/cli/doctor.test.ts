// `jvs doctor` (§2.9, §8) through the built CLI: healthy, findings, repairs, --repair-list,
// unknown repair ids, and the report exit statuses in text and JSON.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { freshFixture } from '../support/fixture.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-doctor-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fixture = (): string => freshFixture(tmp, `fx${n++}`);

const LEFTOVER = '1795263420999-aaaaaaaa';
/** What a snapshot killed after materializing leaves: its tmp directory and its intent. */
function crashLeftovers(root: string): void {
  mkdirSync(join(root, '.jvs/snapshots', `${LEFTOVER}.tmp`));
  writeFileSync(join(root, '.jvs/snapshots', `${LEFTOVER}.tmp`, 'a.txt'), 'partial');
  writeFileSync(join(root, '.jvs/intents', `${LEFTOVER}.json`), `{"snapshot_id":"${LEFTOVER}","worktree_name":"main"}`);
}

const LEFTOVER_FINDINGS = [
  'Findings (2):',
  `  [warning] intent: orphan intent file: ${LEFTOVER}.json`,
  `  [warning] tmp: orphan snapshot tmp directory: .jvs/snapshots/${LEFTOVER}.tmp`,
];

describe('jvs doctor', () => {
  it('a healthy repository, also --strict, from anywhere in it', () => {
    const root = fixture();
    expect(jvs(['doctor'], { cwd: root })).toEqual({ stdout: 'Repository is healthy.\n', stderr: '', status: 0 });
    expect(jvs(['doctor', '--strict'], { cwd: join(root, 'worktrees/feature') })).toEqual({ stdout: 'Repository is healthy.\n', stderr: '', status: 0 });
    expect(jvs(['doctor', '--json', 'extra', 'args'], { cwd: join(root, '.jvs') })).toEqual({ stdout: '{\n  "healthy": true,\n  "findings": null\n}\n', stderr: '', status: 0 });
  });

  it('crash leftovers are non-critical findings (exit 0); --repair-runtime cleans them', () => {
    const root = fixture();
    crashLeftovers(root);
    expect(jvs(['doctor'], { cwd: root })).toEqual({ stdout: `${LEFTOVER_FINDINGS.join('\n')}\n`, stderr: '', status: 0 });
    const j = jvs(['doctor', '--json'], { cwd: root });
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({
      healthy: true,
      findings: [
        {
          category: 'intent',
          description: `orphan intent file: ${LEFTOVER}.json`,
          severity: 'warning',
          path: join(root, '.jvs/intents', `${LEFTOVER}.json`),
          repair: 'clean_intents',
        },
        {
          category: 'tmp',
          description: `orphan snapshot tmp directory: .jvs/snapshots/${LEFTOVER}.tmp`,
          severity: 'warning',
          path: join(root, '.jvs/snapshots', `${LEFTOVER}.tmp`),
          repair: 'clean_tmp',
        },
      ],
    });

    const r = jvs(['doctor', '--repair-runtime'], { cwd: root });
    expect(r).toEqual({
      stdout:
        'Repair clean_tmp: cleaned 1 tmp files/directories\n' +
        'Repair clean_intents: cleaned 1 orphan intent files\n' +
        'Repair clean_locks: removed 0 stale locks\n' +
        'Repair resume_restore: resumed 0 restores\n' +
        'Repository is healthy.\n',
      stderr: '',
      status: 0,
    });
    expect(existsSync(join(root, '.jvs/snapshots', `${LEFTOVER}.tmp`))).toBe(false);
    expect(readdirSync(join(root, '.jvs/intents'))).toEqual([]);
    expect(jvs(['doctor'], { cwd: root }).stdout).toBe('Repository is healthy.\n');
  });

  it('repairs in JSON; --repair takes CSV ids, safe or not', () => {
    const root = fixture();
    crashLeftovers(root);
    const j = jvs(['doctor', '--json', '--repair', 'clean_intents,clean_tmp'], { cwd: root });
    expect(j).toEqual({
      stdout:
        '{\n  "healthy": true,\n  "findings": null,\n  "repairs": [\n' +
        '    {\n      "action": "clean_tmp",\n      "success": true,\n      "message": "cleaned 1 tmp files/directories",\n      "cleaned": 1\n    },\n' +
        '    {\n      "action": "clean_intents",\n      "success": true,\n      "message": "cleaned 1 orphan intent files",\n      "cleaned": 1\n    }\n' +
        '  ]\n}\n',
      stderr: '',
      status: 0,
    });
    expect(jvs(['doctor', '--repair', 'rebuild_index'], { cwd: root }).stdout).toMatch(/^Repair rebuild_index: rebuilt \d+ snapshot records\nRepository is healthy\.\n$/);
  });

  it('a critical finding: unhealthy, exit 1; JSON document and the error object last on stderr', () => {
    const root = fixture();
    const id = '1795263420998-bbbbbbbb';
    mkdirSync(join(root, '.jvs/snapshots', id));
    const r = jvs(['doctor'], { cwd: root });
    expect(r).toEqual({
      stdout:
        'Findings (2):\n' +
        `  [critical] snapshot: snapshot ${id}: descriptor not found [E_PARTIAL_SNAPSHOT]\n` +
        `  [critical] snapshot: snapshot ${id}: READY marker missing [E_PARTIAL_SNAPSHOT]\n`,
      stderr: '',
      status: 1,
    });
    const j = jvs(['doctor', '--json'], { cwd: root });
    expect(j.status).toBe(1);
    const doc = JSON.parse(j.stdout) as { healthy: boolean; findings: Array<Record<string, string>> };
    expect(doc.healthy).toBe(false);
    expect(Object.keys(doc.findings[0]!)).toEqual(['category', 'description', 'severity', 'error_code', 'path']);
    expect(j.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(jsonError(j)).toEqual({ code: 'E_PARTIAL_SNAPSHOT', message: `snapshot ${id}: descriptor not found`, hint: '' });
  });

  it('--strict finds tampered content', () => {
    const root = fixture();
    writeFileSync(join(root, '.jvs/snapshots/1795263420442-3f317e6c/a.txt'), 'tampered');
    expect(jvs(['doctor'], { cwd: root }).status).toBe(0);
    const r = jvs(['doctor', '--strict'], { cwd: root });
    expect(r).toEqual({
      stdout: 'Findings (1):\n  [critical] integrity: snapshot 1795263420442-3f317e6c: E_PAYLOAD_HASH_MISMATCH: payload hash mismatch [E_PAYLOAD_HASH_MISMATCH]\n',
      stderr: '',
      status: 1,
    });
    expect(jsonError(jvs(['doctor', '--strict', '--json'], { cwd: root })).code).toBe('E_PAYLOAD_HASH_MISMATCH');
  });

  it('a failing repair reports success false and exits 1 (E_IO)', () => {
    const root = fixture();
    mkdirSync(join(root, '.jvs/ext/restore'), { recursive: true });
    writeFileSync(join(root, '.jvs/ext/restore/scratch.json'), '{"worktree":"scratch","snapshot_id":"1700000000000-00000000","paths":null}');
    const r = jvs(['doctor', '--repair', 'resume_restore'], { cwd: root });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Repair resume_restore: .+\n/);
    const j = jvs(['doctor', '--repair', 'resume_restore', '--json'], { cwd: root });
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout).repairs[0]).toMatchObject({ action: 'resume_restore', success: false });
    expect(jsonError(j)).toMatchObject({ code: 'E_IO', message: expect.stringMatching(/^doctor: repair resume_restore failed: /) });
  });
});

describe('jvs doctor --repair-list, unknown actions', () => {
  it('lists the actions in §8.2 order, text and JSON', () => {
    const root = fixture();
    expect(jvs(['doctor', '--repair-list'], { cwd: root })).toEqual({
      stdout:
        'Available repair actions:\n' +
        '  clean_tmp (safe): Remove orphan .tmp files and directories\n' +
        '  clean_intents (safe): Remove completed/abandoned intent files\n' +
        '  rebuild_index: Rebuild index from snapshot state\n' +
        '  audit_repair: Recompute audit hash chain\n' +
        '  advance_head: Advance stale head to latest READY\n' +
        '  clean_locks (safe): Remove stale locks of dead processes\n' +
        '  resume_restore (safe): Finish interrupted restores\n',
      stderr: '',
      status: 0,
    });
    const j = jvs(['doctor', '--repair-list', '--json'], { cwd: root });
    const list = JSON.parse(j.stdout) as Array<{ id: string; description: string; auto_safe: boolean }>;
    expect(list).toHaveLength(7);
    expect(list[0]).toEqual({ id: 'clean_tmp', description: 'Remove orphan .tmp files and directories', auto_safe: true });
    expect(j.stdout).toContain('{\n    "id": "rebuild_index",\n    "description": "Rebuild index from snapshot state",\n    "auto_safe": false\n  }');
  });

  it('an unknown --repair id is a usage error before anything runs', () => {
    const root = fixture();
    crashLeftovers(root);
    expect(jvs(['doctor', '--repair', 'clean_tmp,bogus'], { cwd: root })).toEqual({ stdout: '', stderr: 'jvs: doctor: unknown repair action: bogus\n', status: 2 });
    expect(existsSync(join(root, '.jvs/snapshots', `${LEFTOVER}.tmp`))).toBe(true);
    const j = jvs(['doctor', '--repair=bogus', '--json'], { cwd: root });
    expect(j).toMatchObject({ stdout: '', status: 2 });
    expect(jsonError(j)).toEqual({ code: 'E_USAGE', message: 'doctor: unknown repair action: bogus', hint: "See 'jvs doctor --help'." });
  });

  it('outside a repository: the repository block', () => {
    expect(jvs(['doctor'], { cwd: tmp })).toMatchObject({ stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n', status: 1 });
  });
});
