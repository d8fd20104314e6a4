// `jvs verify` (§2.8) through the built CLI: all-mode and single mode, text and JSON, tamper
// reports (document on stdout, error object as the last stderr line, exit 1), --quick, raw ids.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { freshFixture, FIXTURE_IDS } from '../support/fixture.js';
import { repoWithHistory } from './repo-with-history.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fixture = (): string => freshFixture(tmp, `fx${n++}`);
const IDS = Object.values(FIXTURE_IDS).sort();
const ok = (id: string): string => `{\n    "snapshot_id": "${id}",\n    "checksum_valid": true,\n    "payload_hash_valid": true,\n    "tamper_detected": false\n  }`;

describe('jvs verify (all)', () => {
  it('a clean repository: OK per snapshot, exit 0, from anywhere in it', () => {
    const root = fixture();
    const text = IDS.map((id) => `${id}  OK\n`).join('');
    expect(jvs(['verify'], { cwd: root })).toEqual({ stdout: text, stderr: '', status: 0 });
    expect(jvs(['verify', '--all'], { cwd: join(root, '.jvs') }).stdout).toBe(text);
    expect(jvs(['verify', '--all', FIXTURE_IDS.first], { cwd: root }).stdout).toBe(text);
    const j = jvs(['verify', '--json'], { cwd: join(root, 'main') });
    expect(j).toEqual({ stdout: `[\n  ${IDS.map(ok).join(',\n  ')}\n]\n`, stderr: '', status: 0 });
  });

  it('a tampered file: TAMPERED, JSON document on stdout and the error object last on stderr, exit 1', () => {
    const root = fixture();
    appendFileSync(join(root, '.jvs/snapshots', FIXTURE_IDS.second, 'a.txt'), 'tampered');
    const r = jvs(['verify'], { cwd: root });
    expect(r).toEqual({ stdout: IDS.map((id) => `${id}  ${id === FIXTURE_IDS.second ? 'TAMPERED' : 'OK'}\n`).join(''), stderr: '', status: 1 });
    const j = jvs(['verify', '--json'], { cwd: root });
    expect(j.status).toBe(1);
    const doc = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
    expect(doc[1]).toEqual({
      snapshot_id: FIXTURE_IDS.second,
      checksum_valid: true,
      payload_hash_valid: false,
      tamper_detected: true,
      severity: 'critical',
      error: 'E_PAYLOAD_HASH_MISMATCH: payload hash mismatch',
    });
    expect(jsonError(j)).toEqual({ code: 'E_PAYLOAD_HASH_MISMATCH', message: 'payload hash mismatch', hint: '' });
    // --quick checks only descriptor checksums.
    expect(jvs(['verify', '--quick'], { cwd: root })).toMatchObject({ stdout: IDS.map((id) => `${id}  OK\n`).join(''), status: 0 });
  });

  it('differences against our manifest are listed under the snapshot', async () => {
    const h = await repoWithHistory(tmp, `r${n++}`);
    writeFileSync(join(h.root, '.jvs/snapshots', h.v2, 'a.txt'), 'changed');
    writeFileSync(join(h.root, '.jvs/snapshots', h.v2, 'extra.txt'), 'x');
    rmSync(join(h.root, '.jvs/snapshots', h.v2, 'b.txt'));
    const r = jvs(['verify'], { cwd: h.root });
    expect(r).toEqual({ stdout: `${h.v1}  OK\n${h.v2}  TAMPERED\n    ~ a.txt\n    - b.txt\n    + extra.txt\n`, stderr: '', status: 1 });
    const j = jvs(['verify', h.v2, '--json'], { cwd: h.root });
    expect(j.stdout).toContain(
      '"differences": [\n    {\n      "path": "a.txt",\n      "type": "modified"\n    },\n    {\n      "path": "b.txt",\n      "type": "removed"\n    },',
    );
    expect(jvs(['verify', h.v2], { cwd: h.root }).stdout).toBe(
      `Snapshot: ${h.v2}\n  Checksum: true\n  Payload hash: false\n  TAMPER DETECTED: E_PAYLOAD_HASH_MISMATCH: payload hash mismatch\n    ~ a.txt\n    - b.txt\n    + extra.txt\n`,
    );
  });

  it('a corrupt descriptor is reported with its class; broken lineage only through the exit status', () => {
    const root = fixture();
    const desc = join(root, '.jvs/descriptors', `${FIXTURE_IDS.first}.json`);
    rmSync(desc);
    const r = jvs(['verify'], { cwd: root });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`${FIXTURE_IDS.first}  TAMPERED`);
    expect(r.stdout).toContain(`Lineage: BROKEN: snapshot ${FIXTURE_IDS.second}: parent ${FIXTURE_IDS.first} not found\n`);
    expect(jsonError(jvs(['verify', '--json'], { cwd: root }))).toEqual({ code: 'E_PARTIAL_SNAPSHOT', message: `descriptor not found: ${FIXTURE_IDS.first}`, hint: '' });
  });

  it('no snapshot directory: JSON null, exit 0', async () => {
    const dir = mkdtempSync(join(tmp, 'e-'));
    jvs(['init', 'empty'], { cwd: dir });
    expect(jvs(['verify', '--json'], { cwd: join(dir, 'empty') })).toEqual({ stdout: 'null\n', stderr: '', status: 0 });
    expect(jvs(['verify'], { cwd: join(dir, 'empty') })).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});

describe('jvs verify <id>', () => {
  it('one snapshot: text and JSON', () => {
    const root = fixture();
    const id = FIXTURE_IDS.chain;
    expect(jvs(['verify', id], { cwd: root })).toEqual({ stdout: `Snapshot: ${id}\n  Checksum: true\n  Payload hash: true\n`, stderr: '', status: 0 });
    expect(jvs(['verify', id, '--quick'], { cwd: root }).stdout).toBe(`Snapshot: ${id}\n  Checksum: true\n  Payload hash: skipped\n`);
    expect(jvs(['verify', id, '--json'], { cwd: root }).stdout).toBe(`${ok(id).replace(/\n  /g, '\n')}\n`);
  });

  it('a tampered snapshot: TAMPER DETECTED, exit 1; JSON document and error object', () => {
    const root = fixture();
    const id = FIXTURE_IDS.first;
    writeFileSync(join(root, '.jvs/snapshots', id, 'a.txt'), 'tampered');
    const r = jvs(['verify', id], { cwd: root });
    expect(r).toEqual({
      stdout: `Snapshot: ${id}\n  Checksum: true\n  Payload hash: false\n  TAMPER DETECTED: E_PAYLOAD_HASH_MISMATCH: payload hash mismatch\n`,
      stderr: '',
      status: 1,
    });
    const j = jvs(['--json', 'verify', id], { cwd: root });
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ snapshot_id: id, tamper_detected: true, severity: 'critical' });
    expect(j.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(jsonError(j)).toEqual({ code: 'E_PAYLOAD_HASH_MISMATCH', message: 'payload hash mismatch', hint: '' });
  });

  it('the id is raw: no ref resolution; ids with separators or dots are path escapes', () => {
    const root = fixture();
    expect(jvs(['verify', 'v1'], { cwd: root })).toEqual({
      stdout: 'Snapshot: v1\n  Checksum: false\n  Payload hash: false\n  ERROR: E_NOT_FOUND: snapshot not found: v1\n',
      stderr: '',
      status: 1,
    });
    expect(jsonError(jvs(['verify', 'v1', '--json'], { cwd: root }))).toEqual({ code: 'E_NOT_FOUND', message: 'snapshot not found: v1', hint: '' });
    for (const id of ['../x', 'a\\b', '.', '..']) {
      expect(jvs(['verify', '--', id], { cwd: root })).toEqual({ stdout: '', stderr: `jvs: verify: E_PATH_ESCAPE: invalid snapshot id: ${id}\n`, status: 1 });
    }
    const j = jvs(['verify', '../x', '--json'], { cwd: root });
    expect(j.stdout).toBe('');
    expect(jsonError(j)).toEqual({ code: 'E_PATH_ESCAPE', message: 'verify: invalid snapshot id: ../x', hint: '' });
    expect(jvs(['verify', 'a', 'b'], { cwd: root })).toMatchObject({ stderr: 'accepts at most 1 arg(s), received 2\n', status: 2 });
  });

  it('outside a repository: the repository block', () => {
    expect(jvs(['verify'], { cwd: tmp })).toEqual({
      stdout: '',
      stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n',
      status: 1,
    });
  });
});
