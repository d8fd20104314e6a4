import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeJsonOutput, type JsonValue } from '../../src/encoding/json.js';
import { readDescriptor, sealDescriptor, writeDescriptor, type Descriptor } from '../../src/formats/descriptor.js';
import { writeTombstone } from '../../src/formats/tombstone.js';
import {
  renderVerifyAll,
  renderVerifySnapshot,
  verifyAll,
  verifyError,
  verifySnapshot,
  type Difference,
  type VerifyResult,
} from '../../src/integrity/index.js';
import { Repository } from '../../src/index.js';
import { extractFixture } from '../support/fixture.js';
import { freshRepo, tempDir, writeTree } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('verify');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

interface Fixture {
  repo: Repository;
  root: string;
  /** First and second snapshot of main (the second is the parent-less one's child). */
  s1: string;
  s2: string;
  warnings: string[];
  dir: (id: string) => string;
  descriptorPath: (id: string) => string;
}

/** A repository whose main has two snapshots; s2 holds content of its own (tampered in tests). */
async function twoSnapshots(): Promise<Fixture> {
  const { repo, root, warnings } = await freshRepo(tmp, `r${n++}`);
  const main = join(root, 'main');
  await writeTree(main, { 'a.txt': 'one', 'sub/b.txt': 'b', link: { link: 'a.txt' }, 'run.sh': { mode: 0o755, data: '#!/bin/sh' } });
  const s1 = (await repo.snapshot({ worktree: 'main', note: 'v1' })).snapshot_id;
  await writeTree(main, { 'c.txt': 'only in s2' });
  await writeFile(join(main, 'a.txt'), 'two');
  // Without the stat cache nothing is vouched for, so the copy engine links nothing: each
  // snapshot has inodes of its own, and tampering with one cannot show in the other. (Linked
  // files are shared on purpose, issue 4; test/statcache covers them.)
  await rm(join(root, '.jvs/ext/worktrees/main/stat.cache'), { force: true });
  const s2 = (await repo.snapshot({ worktree: 'main', note: 'v2' })).snapshot_id;
  return {
    repo,
    root,
    s1,
    s2,
    warnings,
    dir: (id) => join(root, '.jvs/snapshots', id),
    descriptorPath: (id) => join(root, '.jvs/descriptors', `${id}.json`),
  };
}

const ok = (id: string): VerifyResult => ({ snapshot_id: id, checksum_valid: true, payload_hash_valid: true, tamper_detected: false });

const tamper = (id: string, error: string, more: Partial<VerifyResult> = {}): VerifyResult => ({
  snapshot_id: id,
  checksum_valid: true,
  payload_hash_valid: false,
  tamper_detected: true,
  severity: 'critical',
  error,
  ...more,
});

const diff = (path: string, type: Difference['type']): Difference => ({ path: Buffer.from(path), type });

async function reseal(path: string, edit: (d: Descriptor) => void): Promise<void> {
  const d = await readDescriptor(path);
  edit(d);
  const { descriptor_checksum: _old, ...rest } = d;
  await writeDescriptor(path, sealDescriptor(rest));
}

describe('verify <id>: the tamper matrix (§2.8)', () => {
  it('a clean snapshot verifies, with the fields in order and nothing empty', async () => {
    const f = await twoSnapshots();
    const r = await verifySnapshot(f.repo, f.s2);
    expect(r).toEqual(ok(f.s2));
    expect(Object.keys(r)).toEqual(['snapshot_id', 'checksum_valid', 'payload_hash_valid', 'tamper_detected']);
    expect(verifyError(r)).toBeUndefined();
    expect(renderVerifySnapshot(r, false)).toEqual([`Snapshot: ${f.s2}`, '  Checksum: true', '  Payload hash: true']);
  });

  it.each([
    ['modified bytes', async (d: string) => writeFile(join(d, 'c.txt'), 'only in s2!'), [diff('c.txt', 'modified')]],
    ['added file', async (d: string) => writeTree(d, { 'sub/new.txt': 'new' }), [diff('sub/new.txt', 'added')]],
    ['added directory', async (d: string) => writeTree(d, { 'x/y.txt': 'y' }), [diff('x', 'added'), diff('x/y.txt', 'added')]],
    ['deleted file', async (d: string) => unlink(join(d, 'sub/b.txt')), [diff('sub/b.txt', 'removed')]],
    ['chmod', async (d: string) => chmod(join(d, 'run.sh'), 0o700), [diff('run.sh', 'modified')]],
    [
      'retargeted symlink',
      async (d: string) => {
        await unlink(join(d, 'link'));
        await symlink('c.txt', join(d, 'link'));
      },
      [diff('link', 'modified')],
    ],
    [
      'file replaced by a directory',
      async (d: string) => {
        await unlink(join(d, 'a.txt'));
        await writeTree(d, { 'a.txt/inner': 'i' });
      },
      [diff('a.txt', 'modified'), diff('a.txt/inner', 'added')],
    ],
  ])('%s: payload hash mismatch with the differences from the manifest', async (_name, change, differences) => {
    const f = await twoSnapshots();
    await change(f.dir(f.s2));
    const r = await verifySnapshot(f.repo, f.s2);
    expect(r).toEqual(tamper(f.s2, 'E_PAYLOAD_HASH_MISMATCH: payload hash mismatch', { differences }));
    expect(Object.keys(r)).toEqual(['snapshot_id', 'checksum_valid', 'payload_hash_valid', 'tamper_detected', 'severity', 'error', 'differences']);
    expect(verifyError(r)).toMatchObject({ code: 'E_PAYLOAD_HASH_MISMATCH', jsonMessage: 'payload hash mismatch' });
    // The other snapshot is untouched (snapshots never share writable state).
    expect(await verifySnapshot(f.repo, f.s1)).toEqual(ok(f.s1));
  });

  it('lists differences as JSON strings and as text lines, sorted by path bytes', async () => {
    const f = await twoSnapshots();
    const d = f.dir(f.s2);
    await writeFile(join(d, 'c.txt'), 'changed');
    await unlink(join(d, 'sub/b.txt'));
    await writeTree(d, { 'a.new': 'n' });
    const r = await verifySnapshot(f.repo, f.s2);
    expect(r.differences).toEqual([diff('a.new', 'added'), diff('c.txt', 'modified'), diff('sub/b.txt', 'removed')]);
    expect(encodeJsonOutput(r as unknown as JsonValue)).toContain('"differences": [\n    {\n      "path": "a.new",\n      "type": "added"\n    },');
    expect(renderVerifySnapshot(r, false)).toEqual([
      `Snapshot: ${f.s2}`,
      '  Checksum: true',
      '  Payload hash: false',
      '  TAMPER DETECTED: E_PAYLOAD_HASH_MISMATCH: payload hash mismatch',
      '    + a.new',
      '    ~ c.txt',
      '    - sub/b.txt',
    ]);
  });

  it('without a manifest (a v8.2 snapshot) the mismatch is reported without differences', async () => {
    const f = await twoSnapshots();
    await rm(join(f.root, '.jvs/ext/manifests'), { recursive: true });
    await writeFile(join(f.dir(f.s2), 'c.txt'), 'x');
    expect(await verifySnapshot(f.repo, f.s2)).toEqual(tamper(f.s2, 'E_PAYLOAD_HASH_MISMATCH: payload hash mismatch'));
  });

  it('a FIFO inside a snapshot is tamper, never opened', async () => {
    const f = await twoSnapshots();
    execFileSync('mkfifo', [join(f.dir(f.s2), 'sub', 'pipe')]);
    const r = await verifySnapshot(f.repo, f.s2);
    expect(r).toEqual(tamper(f.s2, 'E_UNSUPPORTED_FILE: unsupported file type (fifo): sub/pipe'));
    expect(verifyError(r)?.code).toBe('E_UNSUPPORTED_FILE');
  });

  it('an edited descriptor field fails the checksum; the payload is still hashed', async () => {
    const f = await twoSnapshots();
    const p = f.descriptorPath(f.s2);
    await writeFile(p, (await readFile(p, 'utf8')).replace('"note": "v2"', '"note": "v2 (edited)"'));
    const r = await verifySnapshot(f.repo, f.s2);
    expect(r).toEqual({ ...tamper(f.s2, 'E_DESCRIPTOR_CORRUPT: descriptor checksum mismatch'), checksum_valid: false, payload_hash_valid: true });
    expect(verifyError(r)).toMatchObject({ code: 'E_DESCRIPTOR_CORRUPT', jsonMessage: 'descriptor checksum mismatch' });
  });

  it('a checksum failure is reported first, and the payload differences are still listed', async () => {
    const f = await twoSnapshots();
    const p = f.descriptorPath(f.s2);
    await writeFile(p, (await readFile(p, 'utf8')).replace('"worktree_name": "main"', '"worktree_name": "other"'));
    await writeFile(join(f.dir(f.s2), 'c.txt'), 'x');
    expect(await verifySnapshot(f.repo, f.s2)).toEqual({
      ...tamper(f.s2, 'E_DESCRIPTOR_CORRUPT: descriptor checksum mismatch', { differences: [diff('c.txt', 'modified')] }),
      checksum_valid: false,
    });
  });

  it("another snapshot's descriptor (swapped, checksum intact) does not certify this one", async () => {
    const f = await twoSnapshots();
    await writeFile(f.descriptorPath(f.s2), await readFile(f.descriptorPath(f.s1)));
    const r = await verifySnapshot(f.repo, f.s2);
    expect(r).toMatchObject({ checksum_valid: false, payload_hash_valid: false, tamper_detected: true, error: 'E_DESCRIPTOR_CORRUPT: descriptor checksum mismatch' });
  });

  it('a descriptor that does not parse', async () => {
    const f = await twoSnapshots();
    await writeFile(f.descriptorPath(f.s2), '{"snapshot_id": ');
    const r = await verifySnapshot(f.repo, f.s2);
    expect(r).toMatchObject({ checksum_valid: false, payload_hash_valid: false, tamper_detected: true, severity: 'critical' });
    expect(r.error).toMatch(/^E_DESCRIPTOR_CORRUPT: parse descriptor: /);
  });

  it('presence: READY missing, directory without descriptor, descriptor without directory, neither', async () => {
    const f = await twoSnapshots();
    const partial = (error: string, tampered: boolean): VerifyResult => ({
      snapshot_id: '',
      checksum_valid: false,
      payload_hash_valid: false,
      tamper_detected: tampered,
      severity: tampered ? 'critical' : 'error',
      error,
    });
    await unlink(join(f.dir(f.s2), '.READY'));
    expect(await verifySnapshot(f.repo, f.s2)).toEqual({ ...partial(`E_PARTIAL_SNAPSHOT: READY marker missing: ${f.s2}`, true), snapshot_id: f.s2 });
    await unlink(f.descriptorPath(f.s2));
    expect(await verifySnapshot(f.repo, f.s2)).toEqual({ ...partial(`E_PARTIAL_SNAPSHOT: descriptor not found: ${f.s2}`, true), snapshot_id: f.s2 });
    await rm(f.dir(f.s1), { recursive: true });
    expect(await verifySnapshot(f.repo, f.s1)).toEqual({ ...partial(`E_PARTIAL_SNAPSHOT: snapshot directory not found: ${f.s1}`, false), snapshot_id: f.s1 });
    const none = await verifySnapshot(f.repo, '1700000000000-00000000');
    expect(none).toEqual({ ...partial('E_NOT_FOUND: snapshot not found: 1700000000000-00000000', false), snapshot_id: '1700000000000-00000000' });
    expect(renderVerifySnapshot(none, false)).toContain('  ERROR: E_NOT_FOUND: snapshot not found: 1700000000000-00000000');
    expect(verifyError(none)?.code).toBe('E_NOT_FOUND');
  });

  it('a compressed snapshot is verified as its logical tree (both layouts and the error row: test/compress)', async () => {
    const f = await twoSnapshots();
    await reseal(f.descriptorPath(f.s2), (d) => {
      d.compression = { type: 'gzip', level: 6 };
    });
    // Root `.READY` plain: our layout, whose files not named `*.gz` are taken as stored.
    expect(await verifySnapshot(f.repo, f.s2)).toEqual({ snapshot_id: f.s2, checksum_valid: true, payload_hash_valid: true, tamper_detected: false });
  });

  it('--quick checks the checksum only', async () => {
    const f = await twoSnapshots();
    await writeFile(join(f.dir(f.s2), 'c.txt'), 'x');
    const r = await verifySnapshot(f.repo, f.s2, { quick: true });
    expect(r).toEqual({ ...ok(f.s2), payload_hash_valid: false });
    expect(renderVerifySnapshot(r, true)).toContain('  Payload hash: skipped');
  });

  it.each(['a/b', 'a\\b', '..', '.', 'x\0y'])('refuses the raw id %j (E_PATH_ESCAPE)', async (id) => {
    const f = await twoSnapshots();
    await expect(verifySnapshot(f.repo, id)).rejects.toMatchObject({ code: 'E_PATH_ESCAPE', message: `verify: E_PATH_ESCAPE: invalid snapshot id: ${id}` });
  });
});

describe('verify --all (§2.8)', () => {
  it('the v8.2 fixture is clean', async () => {
    const dir = join(tmp, `fx${n++}`);
    await mkdir(dir);
    const repo = Repository.openAt(extractFixture(dir));
    const report = await verifyAll(repo);
    expect(report.results).toHaveLength(4);
    expect(report.results?.every((r) => r.checksum_valid && r.payload_hash_valid && !r.tamper_detected)).toBe(true);
    expect(report.lineage).toEqual([]);
    expect(report.audit).toBeUndefined();
    expect(verifyError(report)).toBeUndefined();
  });

  it('an empty repository gives null results; .tmp directories are left to doctor', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    await mkdir(join(root, '.jvs/snapshots/1700000000000-00000000.tmp'));
    const report = await verifyAll(repo);
    expect(report).toEqual({ results: null, lineage: [] });
    expect(encodeJsonOutput(report.results as JsonValue)).toBe('null\n');
  });

  it('reports each snapshot in name order, one verdict line each, with progress', async () => {
    const f = await twoSnapshots();
    await writeFile(join(f.dir(f.s2), 'c.txt'), 'x');
    const partialId = '0000000000000-00000000';
    await mkdir(f.dir(partialId));
    const progress: number[] = [];
    const report = await verifyAll(f.repo, { onProgress: (p) => progress.push(p.done) });
    expect(report.results?.map((r) => r.snapshot_id)).toEqual([partialId, f.s1, f.s2]);
    expect(progress).toEqual([1, 2, 3]);
    expect(renderVerifyAll(report)).toEqual([`${partialId}  TAMPERED`, `${f.s1}  OK`, `${f.s2}  TAMPERED`, '    ~ c.txt']);
    expect(verifyError(report)).toMatchObject({ code: 'E_PARTIAL_SNAPSHOT', message: `E_PARTIAL_SNAPSHOT: descriptor not found: ${partialId}` });
  });

  it('a broken parent is a lineage problem (unless GC deleted the parent)', async () => {
    const f = await twoSnapshots();
    await rm(f.dir(f.s1), { recursive: true });
    await unlink(f.descriptorPath(f.s1));
    const report = await verifyAll(f.repo);
    expect(report.results).toEqual([ok(f.s2)]);
    expect(report.lineage).toEqual([
      { snapshotId: f.s2, description: `snapshot ${f.s2}: parent ${f.s1} not found`, path: f.descriptorPath(f.s2) },
    ]);
    expect(renderVerifyAll(report)).toEqual([`${f.s2}  OK`, `Lineage: BROKEN: snapshot ${f.s2}: parent ${f.s1} not found`]);
    expect(verifyError(report)).toMatchObject({ code: 'E_LINEAGE_BROKEN', message: `snapshot ${f.s2}: parent ${f.s1} not found` });
    expect((await verifyAll(f.repo, { quick: true })).lineage).toEqual([]);
    await writeTombstone(f.repo.layout, f.s1);
    expect((await verifyAll(f.repo)).lineage).toEqual([]);
  });

  it('a parent cycle is named by its smallest id', async () => {
    const f = await twoSnapshots();
    await reseal(f.descriptorPath(f.s1), (d) => {
      d.parent_id = f.s2;
    });
    const report = await verifyAll(f.repo);
    expect(report.results).toEqual([ok(f.s1), ok(f.s2)]);
    const first = [f.s1, f.s2].sort()[0]!;
    expect(report.lineage.map((l) => l.description)).toEqual([`lineage cycle through ${first}`]);
  });

  it('an edited audit line breaks its record_hash; a deleted one breaks the linkage', async () => {
    const f = await twoSnapshots();
    const log = join(f.root, '.jvs/audit/audit.jsonl');
    const original = await readFile(log, 'utf8');
    const lines = original.split('\n');
    expect(lines).toHaveLength(4); // init, two snapshots, final newline
    await writeFile(log, original.replace('"note":"v1"', '"note":"v0"'));
    let report = await verifyAll(f.repo);
    expect(report.audit).toEqual({
      code: 'E_AUDIT_CHAIN_BROKEN',
      line: 2,
      reason: 'record_hash does not match the record',
      message: 'audit record hash mismatch at line 2',
    });
    expect(renderVerifyAll(report).at(-1)).toBe('Audit chain: BROKEN at line 2: record_hash does not match the record');
    expect(verifyError(report)).toMatchObject({ code: 'E_AUDIT_CHAIN_BROKEN', message: 'audit record hash mismatch at line 2' });

    await writeFile(log, [lines[0], lines[2], ''].join('\n'));
    report = await verifyAll(f.repo);
    expect(report.audit).toMatchObject({ line: 2, message: 'audit hash chain broken at line 2' });

    // A torn last line (crash residue) is a warning, not a break.
    await writeFile(log, original + '{"timestamp":"2026');
    report = await verifyAll(f.repo);
    expect(report.audit).toBeUndefined();
    expect(f.warnings).toEqual(['audit log: malformed record at line 4']);
  });
});
