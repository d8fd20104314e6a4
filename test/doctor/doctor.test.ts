import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { doctor, doctorError, renderFindings, renderRepairList, renderRepairs, repairActions, type Finding } from '../../src/doctor/index.js';
import { encodeJsonOutput, type JsonValue } from '../../src/encoding/json.js';
import { verifyChain } from '../../src/formats/audit.js';
import { readDescriptor, sealDescriptor, writeDescriptor } from '../../src/formats/descriptor.js';
import { readMeta } from '../../src/formats/meta.js';
import { writeTombstone } from '../../src/formats/tombstone.js';
import { readWorktreeConfig, writeWorktreeConfig } from '../../src/formats/worktree-config.js';
import { Repository } from '../../src/index.js';
import { verifySnapshot } from '../../src/integrity/index.js';
import { withRepoLock, withWorktreeLocks } from '../../src/locks/index.js';
import { encodeRecord, newRecord } from '../../src/locks/record.js';
import { loadManifest } from '../../src/manifest/store.js';
import { getCore } from '../../src/native/index.js';
import { extractFixture } from '../support/fixture.js';
import { freshRepo, tempDir, writeTree } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('doctor');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

/** A repository with snapshots v1 ← v2 of main; main is at v2 and clean. */
async function repoWithHistory(): Promise<{ repo: Repository; root: string; v1: string; v2: string; notes: string[] }> {
  const notes: string[] = [];
  const { root } = await freshRepo(tmp, `r${n++}`);
  const repo = Repository.openAt(root, { env: {}, onNote: (m) => notes.push(m) });
  await writeTree(join(root, 'main'), { 'a.txt': 'one', 'sub/b.txt': 'b' });
  const v1 = (await repo.snapshot({ worktree: 'main', note: 'v1' })).snapshot_id;
  await writeFile(join(root, 'main/a.txt'), 'two');
  const v2 = (await repo.snapshot({ worktree: 'main', note: 'v2' })).snapshot_id;
  return { repo, root, v1, v2, notes };
}

const descriptions = (findings: Finding[] | null): string[] => (findings ?? []).map((f) => `${f.severity} ${f.category}: ${f.description}`);

/** A pid that is certainly not running. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('doctor on healthy repositories', () => {
  it('the v8.2 fixture is --strict healthy, its .READY leftover and expired GC plan notwithstanding', async () => {
    const dir = join(tmp, `fx${n++}`);
    await mkdir(dir);
    const repo = Repository.openAt(extractFixture(dir));
    const r = await doctor(repo, { strict: true });
    expect(r).toEqual({ healthy: true, findings: null });
    expect(renderFindings(r)).toEqual(['Repository is healthy.']);
    expect(encodeJsonOutput(r as unknown as JsonValue)).toBe('{\n  "healthy": true,\n  "findings": null\n}\n');
    expect(doctorError(r)).toBeUndefined();
  });

  it('a repository we made is --strict healthy and doctor appends nothing to the audit log', async () => {
    const { repo, root } = await repoWithHistory();
    const log = await readFile(join(root, '.jvs/audit/audit.jsonl'));
    expect(await doctor(repo, { strict: true })).toEqual({ healthy: true, findings: null });
    expect(await readFile(join(root, '.jvs/audit/audit.jsonl'))).toEqual(log);
  });
});

describe('repair actions (§8.2)', () => {
  it('lists them in table order with descriptions and auto_safe', () => {
    const list = repairActions();
    expect(list.map((a) => a.id)).toEqual(['clean_tmp', 'clean_intents', 'rebuild_index', 'audit_repair', 'advance_head', 'clean_locks', 'resume_restore']);
    expect(list[0]).toEqual({ id: 'clean_tmp', description: 'Remove orphan .tmp files and directories', auto_safe: true });
    expect(Object.keys(list[0]!)).toEqual(['id', 'description', 'auto_safe']);
    expect(renderRepairList(list)).toEqual([
      'Available repair actions:',
      '  clean_tmp (safe): Remove orphan .tmp files and directories',
      '  clean_intents (safe): Remove completed/abandoned intent files',
      '  rebuild_index: Rebuild index from snapshot state',
      '  audit_repair: Recompute audit hash chain',
      '  advance_head: Advance stale head to latest READY',
      '  clean_locks (safe): Remove stale locks of dead processes',
      '  resume_restore (safe): Finish interrupted restores',
    ]);
  });

  it('an unknown action is a usage error before anything runs', async () => {
    const { repo, root } = await repoWithHistory();
    await writeFile(join(root, '.jvs/intents/x.json'), '{}');
    await expect(doctor(repo, { repair: ['clean_intents', 'bogus'] })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'doctor: unknown repair action: bogus',
    });
    expect(await readdir(join(root, '.jvs/intents'))).toEqual(['x.json']);
  });

  it('--repair-runtime runs the auto-safe actions in order, each audited as doctor_repair', async () => {
    const { repo, root } = await repoWithHistory();
    await writeFile(join(root, '.jvs/intents/1700000000000-00000000.json'), '{"snapshot_id":"1700000000000-00000000","worktree_name":"main"}');
    const r = await doctor(repo, { repairRuntime: true });
    expect(r.repairs).toEqual([
      { action: 'clean_tmp', success: true, message: 'cleaned 0 tmp files/directories' },
      { action: 'clean_intents', success: true, message: 'cleaned 1 orphan intent files', cleaned: 1 },
      { action: 'clean_locks', success: true, message: 'removed 0 stale locks' },
      { action: 'resume_restore', success: true, message: 'resumed 0 restores' },
    ]);
    expect(Object.keys(r)).toEqual(['healthy', 'findings', 'repairs']);
    expect(renderRepairs(r.repairs!)[1]).toBe('Repair clean_intents: cleaned 1 orphan intent files');
    const lines = (await readFile(join(root, '.jvs/audit/audit.jsonl'), 'utf8')).trim().split('\n').slice(-4);
    expect(lines.map((l) => JSON.parse(l).details.action)).toEqual(['clean_tmp', 'clean_intents', 'clean_locks', 'resume_restore']);
    expect(lines[1]).toContain('"details":{"action":"clean_intents","cleaned":1,"message":"cleaned 1 orphan intent files","success":true}');
    expect((await verifyChain(join(root, '.jvs/audit/audit.jsonl'))).problem).toBeUndefined();
    expect(r).toMatchObject({ healthy: true, findings: null });
  });

  it('clean_intents says so when there is no intents directory', async () => {
    const { repo, root } = await repoWithHistory();
    await rm(join(root, '.jvs/intents'), { recursive: true });
    expect((await doctor(repo, { repair: ['clean_intents'] })).repairs).toEqual([{ action: 'clean_intents', success: true, message: 'no intents directory' }]);
  });

  it('repairs wait for the repository lock and fail with E_LOCKED while another holds it', async () => {
    const { repo } = await repoWithHistory();
    process.env['JVS_LOCK_TIMEOUT_MS'] = '200';
    try {
      await withRepoLock(repo.layout, 'jvs gc run', async () => {
        await expect(doctor(repo, { repairRuntime: true })).rejects.toMatchObject({ code: 'E_LOCKED' });
      });
    } finally {
      delete process.env['JVS_LOCK_TIMEOUT_MS'];
    }
  });

  it('a failing repair is reported with success false, and the others still run', async () => {
    const { repo, root } = await repoWithHistory();
    // A journal naming a snapshot that does not exist cannot be resumed.
    await mkdir(join(root, '.jvs/ext/restore'), { recursive: true });
    await writeFile(join(root, '.jvs/ext/restore/main.json'), '{"worktree":"main","snapshot_id":"1700000000000-00000000","paths":null}');
    const r = await doctor(repo, { repair: ['resume_restore', 'clean_tmp'] });
    expect(r.repairs?.map((x) => [x.action, x.success])).toEqual([
      ['clean_tmp', true],
      ['resume_restore', false],
    ]);
    expect(doctorError(r)).toMatchObject({ code: 'E_IO' });
    expect(doctorError(r)?.message).toMatch(/^doctor: repair resume_restore failed: /);
  });
});

describe('checks (§8.1)', () => {
  it('1 format: invalid content, too new, missing — all critical', async () => {
    const { repo, root } = await repoWithHistory();
    const fv = join(root, '.jvs/format_version');
    await writeFile(fv, '1abc\n');
    let r = await doctor(repo);
    expect(r.findings).toEqual([
      { category: 'format', description: 'format_version file contains invalid content: "1abc"', severity: 'critical', error_code: 'E_FORMAT_UNSUPPORTED' },
    ]);
    expect(r.healthy).toBe(false);
    expect(doctorError(r)).toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
    expect(renderFindings(r)).toEqual(['Findings (1):', '  [critical] format: format_version file contains invalid content: "1abc" [E_FORMAT_UNSUPPORTED]']);
    await writeFile(fv, '2\n');
    r = await doctor(repo);
    expect(descriptions(r.findings)).toEqual(['critical format: format version 2 > supported 1']);
    await writeFile(fv, '0');
    expect(descriptions((await doctor(repo)).findings)).toEqual(['critical format: format_version file contains invalid content: "0"']);
    await unlink(fv);
    expect(descriptions((await doctor(repo)).findings)).toEqual(['critical format: format_version file missing or unreadable']);
  });

  it('2 worktrees: payload missing, head and latest not found', async () => {
    const { repo, root } = await repoWithHistory();
    const cfg = join(root, '.jvs/worktrees/main/config.json');
    await writeWorktreeConfig(cfg, { ...(await readWorktreeConfig(cfg)), head_snapshot_id: '1700000000000-00000001', latest_snapshot_id: '1700000000000-00000001' });
    await rename(join(root, 'main'), join(root, 'elsewhere'));
    const r = await doctor(repo);
    expect(r.findings).toEqual([
      { category: 'worktree', description: "worktree 'main' payload directory missing", severity: 'error', path: join(root, 'main') },
      { category: 'worktree', description: "worktree 'main' head snapshot 1700000000000-00000001 not found", severity: 'warning', path: cfg },
      { category: 'worktree', description: "worktree 'main' latest snapshot 1700000000000-00000001 not found", severity: 'warning', path: cfg },
    ]);
    expect(r.healthy).toBe(true);
  });

  it('2 head_orphan: the newest chain of unreferenced children of the head; advance_head follows it', async () => {
    const { repo, root, v1, v2 } = await repoWithHistory();
    await writeFile(join(root, 'main/a.txt'), 'three');
    const v3 = (await repo.snapshot({ worktree: 'main', note: 'v3' })).snapshot_id;
    const cfg = join(root, '.jvs/worktrees/main/config.json');
    // As if the head updates of v2 and v3 were both lost.
    await writeWorktreeConfig(cfg, { ...(await readWorktreeConfig(cfg)), head_snapshot_id: v1, latest_snapshot_id: v1 });
    const r = await doctor(repo);
    expect(r.findings).toEqual([
      { category: 'worktree', description: `worktree 'main' head is behind completed snapshot ${v2}`, severity: 'warning', path: cfg, repair: 'advance_head' },
    ]);
    const fixed = await doctor(repo, { repair: ['advance_head'] });
    expect(fixed.repairs).toEqual([{ action: 'advance_head', success: true, message: 'advanced 1 worktrees', cleaned: 1 }]);
    expect(fixed.findings).toBeNull();
    expect(await readWorktreeConfig(cfg)).toMatchObject({ head_snapshot_id: v3, latest_snapshot_id: v3 });
  });

  it('2 head_orphan: never a safety snapshot, never in a detached worktree', async () => {
    const { repo, root, v2 } = await repoWithHistory();
    await writeFile(join(root, 'main/a.txt'), 'unsaved');
    const restored = await repo.restore({ worktree: 'main', ref: v2 });
    expect(restored.safety_snapshot_id).toBeDefined();
    expect(await doctor(repo)).toEqual({ healthy: true, findings: null });
  });

  it('3 intents: orphans reported; those of a live operation are not', async () => {
    const { repo, root } = await repoWithHistory();
    await writeFile(join(root, '.jvs/intents/1700000000000-00000000.json'), '{"snapshot_id":"1700000000000-00000000","worktree_name":"main"}');
    const path = join(root, '.jvs/intents/1700000000000-00000000.json');
    expect((await doctor(repo)).findings).toEqual([
      { category: 'intent', description: 'orphan intent file: 1700000000000-00000000.json', severity: 'warning', path, repair: 'clean_intents' },
    ]);
    await withWorktreeLocks(repo.layout, ['main'], 'jvs snapshot', async () => {
      expect((await doctor(repo)).findings).toBeNull();
    });
  });

  it('clean_intents also removes the unpublished descriptor, metadata and manifest of an intent', async () => {
    const { repo, root, v2 } = await repoWithHistory();
    const ghost = '1700000000000-0000000a';
    await writeFile(join(root, '.jvs/intents', `${ghost}.json`), `{"snapshot_id":"${ghost}","worktree_name":"main"}`);
    await writeFile(join(root, '.jvs/descriptors', `${ghost}.json`), await readFile(join(root, '.jvs/descriptors', `${v2}.json`)));
    await writeFile(join(root, '.jvs/ext/meta', `${ghost}.json`), await readFile(join(root, '.jvs/ext/meta', `${v2}.json`)));
    // A published snapshot whose intent was left: its descriptor stays.
    await writeFile(join(root, '.jvs/intents', `${v2}.json`), `{"snapshot_id":"${v2}","worktree_name":"main"}`);
    const r = await doctor(repo, { repair: ['clean_intents'] });
    expect(r.repairs?.[0]).toMatchObject({ message: 'cleaned 2 orphan intent files', cleaned: 2 });
    const descriptors = await readdir(join(root, '.jvs/descriptors'));
    expect(descriptors).toContain(`${v2}.json`);
    expect(descriptors).not.toContain(`${ghost}.json`);
    expect(await readdir(join(root, '.jvs/ext/meta'))).not.toContain(`${ghost}.json`);
    expect(r).toMatchObject({ healthy: true, findings: null });
  });

  it('4 snapshots: missing descriptor or READY (critical), descriptor without directory (warning, unless explained)', async () => {
    const { repo, root, v1, v2 } = await repoWithHistory();
    await unlink(join(root, '.jvs/snapshots', v2, '.READY'));
    await mkdir(join(root, '.jvs/snapshots/1700000000000-00000000'));
    await rm(join(root, '.jvs/snapshots', v1), { recursive: true });
    const r = await doctor(repo);
    const partial = { error_code: 'E_PARTIAL_SNAPSHOT' };
    expect(r.findings).toEqual([
      { category: 'snapshot', description: 'snapshot 1700000000000-00000000: descriptor not found', severity: 'critical', ...partial, path: join(root, '.jvs/snapshots/1700000000000-00000000') },
      { category: 'snapshot', description: 'snapshot 1700000000000-00000000: READY marker missing', severity: 'critical', ...partial, path: join(root, '.jvs/snapshots/1700000000000-00000000') },
      { category: 'snapshot', description: `snapshot ${v1}: snapshot directory not found`, severity: 'warning', ...partial, path: join(root, '.jvs/descriptors', `${v1}.json`) },
      { category: 'snapshot', description: `snapshot ${v2}: READY marker missing`, severity: 'critical', ...partial, path: join(root, '.jvs/snapshots', v2) },
    ]);
    expect(r.healthy).toBe(false);
    // Being deleted by GC (its directory in the trash) or deleted (tombstone): not a finding.
    await mkdir(join(root, '.jvs/ext/gc/trash', v1), { recursive: true });
    expect(descriptions((await doctor(repo)).findings)).not.toContain(`warning snapshot: snapshot ${v1}: snapshot directory not found`);
    await rm(join(root, '.jvs/ext/gc/trash'), { recursive: true });
    await writeTombstone(repo.layout, v1);
    expect(descriptions((await doctor(repo)).findings)).not.toContain(`warning snapshot: snapshot ${v1}: snapshot directory not found`);
  });

  it('5 lineage: a missing parent and a cycle are critical', async () => {
    const { repo, root, v1, v2 } = await repoWithHistory();
    const p = join(root, '.jvs/descriptors', `${v1}.json`);
    const { descriptor_checksum: _c, ...d } = await readDescriptor(p);
    await writeDescriptor(p, sealDescriptor({ ...d, parent_id: v2 }));
    let r = await doctor(repo);
    const first = [v1, v2].sort()[0]!;
    // (v1 now also looks like a child of main's head that the head never reached.)
    expect(r.findings?.filter((f) => f.category === 'lineage')).toEqual([
      { category: 'lineage', description: `lineage cycle through ${first}`, severity: 'critical', error_code: 'E_LINEAGE_BROKEN', path: join(root, '.jvs/descriptors', `${first}.json`) },
    ]);
    await writeDescriptor(p, sealDescriptor({ ...d, parent_id: '1700000000000-00000000' }));
    r = await doctor(repo);
    expect(descriptions(r.findings)).toEqual([`critical lineage: snapshot ${v1}: parent 1700000000000-00000000 not found`]);
  });

  it('6 restores: an interrupted restore and a v8.2 restore backup; resume_restore finishes both', async () => {
    const { repo, root, v1, notes } = await repoWithHistory();
    await mkdir(join(root, '.jvs/ext/restore'), { recursive: true });
    await writeFile(join(root, '.jvs/ext/restore/main.json'), `{"worktree":"main","snapshot_id":"${v1}","paths":null,"safety_snapshot_id":null,"started_at":""}`);
    const backup = join(root, 'main.restore-backup-0a1b2c3d');
    await cp(join(root, 'main'), backup, { recursive: true });
    await writeTree(backup, { 'unsaved.txt': 'work', '.READY': '{}' });
    const r = await doctor(repo);
    expect(r.findings).toEqual([
      { category: 'restore', description: `interrupted restore of worktree 'main' to ${v1}`, severity: 'warning', path: join(root, '.jvs/ext/restore/main.json'), repair: 'resume_restore' },
      { category: 'restore', description: 'leftover restore backup: main.restore-backup-0a1b2c3d', severity: 'warning', path: backup, repair: 'resume_restore' },
    ]);
    const fixed = await doctor(repo, { repairRuntime: true, strict: true });
    expect(fixed.repairs?.at(-1)).toEqual({ action: 'resume_restore', success: true, message: 'resumed 2 restores', cleaned: 2 });
    expect(fixed).toMatchObject({ healthy: true, findings: null });
    expect(await readFile(join(root, 'main/a.txt'), 'utf8')).toBe('one');
    expect((await readWorktreeConfig(join(root, '.jvs/worktrees/main/config.json'))).head_snapshot_id).toBe(v1);
    // The backup's content was kept as a safety snapshot, then removed.
    expect(notes[0]).toBe(`completed interrupted restore to ${v1}`);
    const safetyId = /^saved main\.restore-backup-0a1b2c3d as safety snapshot (\S+)$/.exec(notes[1] ?? '')?.[1];
    expect(safetyId).toBeDefined();
    const safety = await readDescriptor(join(root, '.jvs/descriptors', `${safetyId}.json`));
    expect(safety).toMatchObject({ parent_id: v1, worktree_name: 'main', tags: ['jvs-safety'] });
    expect(await readFile(join(root, '.jvs/snapshots', safetyId!, 'unsaved.txt'), 'utf8')).toBe('work');
    expect(await readdir(root)).not.toContain('main.restore-backup-0a1b2c3d');
  });

  it('6 restores: a backup whose payload is missing goes back in place', async () => {
    const { repo, root } = await repoWithHistory();
    await rename(join(root, 'main'), join(root, 'main.restore-backup-0a1b2c3d'));
    expect(descriptions((await doctor(repo)).findings)).toEqual([
      "error worktree: worktree 'main' payload directory missing",
      'warning restore: leftover restore backup: main.restore-backup-0a1b2c3d',
    ]);
    const r = await doctor(repo, { repair: ['resume_restore'] });
    expect(r).toMatchObject({ healthy: true, findings: null });
    expect(await readFile(join(root, 'main/a.txt'), 'utf8')).toBe('two');
  });

  it('7 locks: stale (repairable), other host, unreadable; live ones are not reported', async () => {
    const { repo, root } = await repoWithHistory();
    const locks = join(root, '.jvs/ext/locks');
    await mkdir(locks, { recursive: true });
    const pid = deadPid();
    const stale = { ...newRecord('jvs snapshot'), pid };
    await writeFile(join(locks, 'worktree.main.lock'), encodeRecord(stale));
    const foreign = { ...newRecord('jvs gc run'), host: 'elsewhere' };
    await writeFile(join(locks, 'repo.lock'), encodeRecord(foreign));
    await writeFile(join(locks, 'worktree.x.lock'), 'garbage');
    const r = await doctor(repo);
    expect(r.findings).toEqual([
      { category: 'lock', description: `lock repo.lock held by elsewhere pid ${foreign.pid} since ${foreign.acquired_at} (jvs gc run)`, severity: 'warning', path: join(locks, 'repo.lock') },
      { category: 'lock', description: `stale lock worktree.main.lock (jvs snapshot, pid ${pid}, dead)`, severity: 'warning', path: join(locks, 'worktree.main.lock'), repair: 'clean_locks' },
      { category: 'lock', description: 'unreadable lock worktree.x.lock', severity: 'warning', path: join(locks, 'worktree.x.lock') },
    ]);
    await unlink(join(locks, 'repo.lock'));
    await unlink(join(locks, 'worktree.x.lock'));
    const fixed = await doctor(repo, { repair: ['clean_locks'] });
    expect(fixed.repairs).toEqual([{ action: 'clean_locks', success: true, message: 'removed 1 stale locks', cleaned: 1 }]);
    expect(fixed.findings).toBeNull();
    await withWorktreeLocks(repo.layout, ['main'], 'jvs snapshot', async () => {
      expect((await doctor(repo)).findings).toBeNull();
    });
  });

  it('8 gc: an interrupted run, unless the repository lock is held', async () => {
    const { repo, root } = await repoWithHistory();
    await mkdir(join(root, '.jvs/ext/gc'), { recursive: true });
    await writeFile(join(root, '.jvs/ext/gc/a82694ef-ab46-4969-a803-372a321ac725.run.json'), '{}');
    expect(descriptions((await doctor(repo)).findings)).toEqual([
      'warning gc: interrupted gc run a82694ef-ab46-4969-a803-372a321ac725; run jvs gc run --plan-id a82694ef-ab46-4969-a803-372a321ac725',
    ]);
    await withRepoLock(repo.layout, 'jvs gc run', async () => {
      expect((await doctor(repo)).findings).toBeNull();
    });
  });

  it('9 --strict integrity: tamper is critical, a non-tamper failure an error', async () => {
    const { repo, root, v1, v2 } = await repoWithHistory();
    await writeFile(join(root, '.jvs/snapshots', v2, 'a.txt'), 'tampered');
    const p = join(root, '.jvs/descriptors', `${v1}.json`);
    const { descriptor_checksum: _c, ...d } = await readDescriptor(p);
    await writeDescriptor(p, sealDescriptor({ ...d, compression: { type: 'gzip', level: 6 } }));
    // v8.2's compressed layout (root `.READY.gz`) whose logical tree cannot reproduce the hash.
    await rename(join(root, '.jvs/snapshots', v1, '.READY'), join(root, '.jvs/snapshots', v1, '.READY.gz'));
    await writeFile(join(root, '.jvs/snapshots', v1, 'extra.gz'), gzipSync('not in the payload'));
    expect((await doctor(repo)).findings).toBeNull();
    const r = await doctor(repo, { strict: true });
    expect(r.findings).toEqual([
      {
        category: 'integrity',
        description: 'verification failed: E_PAYLOAD_HASH_MISMATCH: v8.2 compressed layout: original modes or symlinks not recoverable',
        severity: 'error',
        path: join(root, '.jvs/snapshots', v1),
      },
      {
        category: 'integrity',
        description: `snapshot ${v2}: E_PAYLOAD_HASH_MISMATCH: payload hash mismatch`,
        severity: 'critical',
        error_code: 'E_PAYLOAD_HASH_MISMATCH',
        path: join(root, '.jvs/snapshots', v2),
      },
    ].sort((a, b) => (a.path < b.path ? -1 : 1)));
    expect(r.healthy).toBe(false);
    expect(doctorError(r)).toMatchObject({ code: 'E_PAYLOAD_HASH_MISMATCH' });
  });

  it('10 --strict audit: a malformed line warns, a break is critical; audit_repair re-chains it', async () => {
    const { repo, root } = await repoWithHistory();
    const log = join(root, '.jvs/audit/audit.jsonl');
    const lines = (await readFile(log, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"note":"v1"', '"note":"edited"');
    lines.splice(2, 0, 'not json');
    await writeFile(log, lines.join('\n'));
    const r = await doctor(repo, { strict: true });
    expect(r.findings).toEqual([
      { category: 'audit', description: 'audit record hash mismatch at line 2', severity: 'critical', error_code: 'E_AUDIT_CHAIN_BROKEN', path: log, repair: 'audit_repair' },
      { category: 'audit', description: 'malformed record at line 3', severity: 'warning', path: log },
    ]);
    const before = await readFile(log);
    const fixed = await doctor(repo, { strict: true, repair: ['audit_repair'] });
    expect(fixed.repairs).toEqual([{ action: 'audit_repair', success: true, message: 'rewrote 2 records', cleaned: 2 }]);
    expect(descriptions(fixed.findings)).toEqual(['warning audit: malformed record at line 3']);
    expect(fixed.healthy).toBe(true);
    const after = (await readFile(log, 'utf8')).split('\n');
    expect(after[0]).toBe(lines[0]); // the intact prefix is untouched
    expect(after[2]).toBe('not json'); // malformed lines are kept verbatim
    expect(JSON.parse(after[1]!).details.note).toBe('edited');
    expect(JSON.parse(after.at(-2)!)).toMatchObject({ event_type: 'doctor_repair', details: { action: 'audit_repair', cleaned: 2, success: true } });
    const backups = (await readdir(join(root, '.jvs/ext'))).filter((x) => /^audit-.+\.jsonl\.bak$/.test(x));
    expect(backups).toHaveLength(1);
    expect(await readFile(join(root, '.jvs/ext', backups[0]!))).toEqual(before);
  });

  it('11 tmp: JVS transients outside payloads and published snapshots; clean_tmp removes exactly those', async () => {
    const { repo, root, v2 } = await repoWithHistory();
    const inSnapshot = join(root, '.jvs/snapshots', v2, '.jvs-tmp-123');
    await writeTree(root, {
      '.jvs-tmp-1': '',
      '.jvs/descriptors/.jvs-tmp-2': '',
      '.jvs/ext/meta/.jvs-tmp-3': '',
      '.jvs/ext/tmp/probe': '',
      '.jvs/ext/locks/.jvs-tmp-4': '',
      '.jvs/.jvs-tmp-': '',
      '.jvs-reflink-test-5/f': '',
      'main.restore-tmp-0a1b2c3d/x': '',
      'main/.jvs-tmp-6': 'payload file, never touched',
      '.jvs/snapshots/1700000000000-00000000.tmp/f': '',
    });
    await writeFile(inSnapshot, 'inside a published snapshot');
    const r = await doctor(repo);
    expect(r.findings?.map((f) => `${f.severity} ${f.description}`)).toEqual([
      'info orphan temp directory: .jvs-reflink-test-5',
      'info orphan temp file: .jvs-tmp-1',
      'info orphan temp file: .jvs/descriptors/.jvs-tmp-2',
      'info orphan temp file: .jvs/ext/meta/.jvs-tmp-3',
      'info orphan temp file: .jvs/ext/tmp/probe',
      'warning orphan snapshot tmp directory: .jvs/snapshots/1700000000000-00000000.tmp',
      'info orphan temp directory: main.restore-tmp-0a1b2c3d',
    ]);
    expect(r.findings?.every((f) => f.category === 'tmp' && f.repair === 'clean_tmp')).toBe(true);
    // While any lock is held, untied transients may be that operation's; tied ones are judged by their owner.
    await withWorktreeLocks(repo.layout, ['other'], 'jvs snapshot', async () => {
      expect((await doctor(repo)).findings?.map((f) => f.description)).toEqual([
        'orphan snapshot tmp directory: .jvs/snapshots/1700000000000-00000000.tmp',
        'orphan temp directory: main.restore-tmp-0a1b2c3d',
      ]);
    });
    const fixed = await doctor(repo, { repair: ['clean_tmp'] });
    expect(fixed.repairs).toEqual([{ action: 'clean_tmp', success: true, message: 'cleaned 7 tmp files/directories', cleaned: 7 }]);
    expect(fixed.findings).toBeNull();
    expect(await readFile(inSnapshot, 'utf8')).toBe('inside a published snapshot');
    expect(await readFile(join(root, 'main/.jvs-tmp-6'), 'utf8')).toBe('payload file, never touched');
    expect(await readdir(join(root, '.jvs/ext/locks'))).toContain('.jvs-tmp-4');
  });

  it('11 tmp: a snapshot tmp directory or staging sibling of a live operation is not reported', async () => {
    const { repo, root } = await repoWithHistory();
    await writeTree(root, {
      '.jvs/intents/1700000000000-00000000.json': '{"snapshot_id":"1700000000000-00000000","worktree_name":"main"}',
      '.jvs/snapshots/1700000000000-00000000.tmp/f': '',
      'main.restore-tmp-0a1b2c3d/x': '',
    });
    await withWorktreeLocks(repo.layout, ['main'], 'jvs snapshot', async () => {
      expect((await doctor(repo)).findings).toBeNull();
    });
    // A staging sibling with a journal belongs to the interrupted restore (resume_restore removes it).
    await writeTree(root, { '.jvs/ext/restore/main.json': '{"worktree":"main","snapshot_id":"x","paths":null}' });
    expect(descriptions((await doctor(repo)).findings).filter((d) => d.includes('restore-tmp'))).toEqual([]);
  });
});

describe('rebuild_index', () => {
  it('rebuilds manifests and metadata, drops stat caches, and keeps the manifest of a tampered snapshot', async () => {
    const { repo, root, v1, v2 } = await repoWithHistory();
    const objects = join(root, '.jvs/ext/manifests/objects');
    // Damage every manifest object, lose all metadata, leave a stat cache.
    for (const sub of await readdir(objects)) for (const f of await readdir(join(objects, sub))) await writeFile(join(objects, sub, f), 'junk');
    const metaV2 = await readMeta(join(root, '.jvs/ext/meta', `${v2}.json`));
    await rm(join(root, '.jvs/ext/meta', `${v1}.json`));
    await writeTree(root, { '.jvs/ext/worktrees/main/stat.cache': 'x', '.jvs/ext/meta/1700000000000-00000000.json': '{"engine":"copy"}' });
    const d1 = await readDescriptor(join(root, '.jvs/descriptors', `${v1}.json`));
    expect(await loadManifest(repo.layout, v1, d1.payload_root_hash)).toBeUndefined();

    const r = await doctor(repo, { repair: ['rebuild_index'] });
    expect(r.repairs).toEqual([{ action: 'rebuild_index', success: true, message: 'rebuilt 2 snapshot records', cleaned: 2 }]);
    expect((await loadManifest(repo.layout, v1, d1.payload_root_hash))?.records.length).toBeGreaterThan(0);
    expect(await readMeta(join(root, '.jvs/ext/meta', `${v1}.json`))).toMatchObject({ engine: d1.engine, kind: 'normal', degraded: [] });
    expect(await readMeta(join(root, '.jvs/ext/meta', `${v2}.json`))).toEqual(metaV2);
    expect(await readdir(join(root, '.jvs/ext/meta'))).not.toContain('1700000000000-00000000.json');
    expect(await readdir(join(root, '.jvs/ext/worktrees/main'))).toEqual([]);

    // A tampered snapshot keeps its (intact) manifest, so verify can still say what changed.
    await writeFile(join(root, '.jvs/snapshots', v2, 'a.txt'), 'tampered');
    await doctor(repo, { repair: ['rebuild_index'] });
    expect((await verifySnapshot(repo, v2)).differences).toEqual([{ path: Buffer.from('a.txt'), type: 'modified' }]);
    expect(await readdir(join(root, '.jvs/ext/tmp')).catch(() => [])).toEqual([]);
    expect((await getCore().hashTree(join(root, '.jvs/snapshots', v1))).rootHash).toBe(d1.payload_root_hash);
  });
});
