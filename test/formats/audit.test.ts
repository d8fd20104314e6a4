import { copyFile, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { appendAudit, computeRecordHash, sealRecord, verifyChain } from '../../src/formats/audit.js';
import { coreInfo } from '../../src/native/index.js';
import { extractFixture } from '../support/fixture.js';

let tmp: string;
let fixtureLog: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-audit-'));
  fixtureLog = join(extractFixture(tmp), '.jvs', 'audit', 'audit.jsonl');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function copyOfFixture(): Promise<string> {
  const p = join(tmp, `log${n++}.jsonl`);
  await copyFile(fixtureLog, p);
  return p;
}

describe('audit chain (§3.11)', () => {
  it('reproduces the contract vector', () => {
    const r = sealRecord(
      {
        event_type: 'snapshot_create',
        snapshot_id: '1795262147596-85ef8d28',
        worktree_name: 'main',
        details: { note: 'first note', engine: 'copy', checksum: '31ef6b1de9c9e8b5c2913d803dacc3c9154079d50a138ec702f06e318d2bf563' },
      },
      '2026-11-21T11:55:47.623669494Z',
      '',
    );
    expect(r.record_hash).toBe('44d1ba9681049247ed616f6aef905ce32b92960ca2c1573314a269f2d6b7bc8b');
  });

  it('verifies the v8.2 log, then continues it', async () => {
    const log = await copyOfFixture();
    expect(await verifyChain(log)).toEqual({ malformed: [], records: 5 });
    const lastHash = (JSON.parse((await readFile(log, 'utf8')).trim().split('\n').at(-1)!) as { record_hash: string }).record_hash;
    const rec = await appendAudit(log, { event_type: 'pin_add', snapshot_id: 'x', details: { reason: 'keep' } }, '2026-11-21T13:00:00Z');
    expect(rec.prev_hash).toBe(lastHash);
    const lines = (await readFile(log, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.at(-2)).toBe(
      `{"timestamp":"2026-11-21T13:00:00Z","event_type":"pin_add","snapshot_id":"x","details":{"reason":"keep"},"prev_hash":"${lastHash}","record_hash":"${rec.record_hash}"}`,
    );
    expect(await verifyChain(log)).toEqual({ malformed: [], records: 6 });
  });

  it('skips malformed lines when chaining, and completes a torn last line with a newline', async () => {
    const log = await copyOfFixture();
    await appendFile(log, '{"torn":');
    const rec = await appendAudit(log, { event_type: 'gc_run', details: { plan_id: 'p', deleted_count: 2 } }, '2026-11-21T13:00:01Z');
    const lines = (await readFile(log, 'utf8')).split('\n');
    expect(lines.at(-3)).toBe('{"torn":');
    expect(rec.prev_hash).toBe('39e41b685d8b0959962bc213fc1d13390dc7e9608dfbcca933b64a1079995a8a');
    expect(await verifyChain(log)).toMatchObject({ malformed: [6], records: 6 });
    expect((await verifyChain(log)).problem).toBeUndefined();
  });

  it('accepts lines of any length', async () => {
    const log = join(tmp, `long${n++}.jsonl`);
    const note = 'x'.repeat(300_000);
    await appendAudit(log, { event_type: 'snapshot_create', details: { note } }, '2026-11-21T13:00:00Z');
    const second = await appendAudit(log, { event_type: 'snapshot_create', details: { note } }, '2026-11-21T13:00:01Z');
    expect(second.prev_hash).not.toBe('');
    expect(await verifyChain(log)).toEqual({ malformed: [], records: 2 });
  });

  it('finds a broken link and a tampered record', async () => {
    const log = await copyOfFixture();
    const lines = (await readFile(log, 'utf8')).split('\n');
    const tampered = lines.map((l, i) => (i === 2 ? l.replace('feature work', 'feature play') : l));
    await writeFile(log, tampered.join('\n'));
    expect((await verifyChain(log)).problem).toEqual({ kind: 'mismatch', line: 3, message: 'audit record hash mismatch at line 3' });
    const dropped = lines.filter((_, i) => i !== 1);
    await writeFile(log, dropped.join('\n'));
    expect((await verifyChain(log)).problem).toEqual({ kind: 'broken', line: 2, message: 'audit hash chain broken at line 2' });
  });

  it('numbers in details hash as Go formats a float64', () => {
    const rec = { timestamp: 't', event_type: 'gc_run', details: { deleted_count: 2, plan_id: 'p' }, prev_hash: '', record_hash: '' };
    expect(computeRecordHash(rec)).toBe(computeRecordHash({ ...rec, details: { plan_id: 'p', deleted_count: 2.0 } }));
  });
});

describe('concurrent appenders', () => {
  it.skipIf(coreInfo().kind !== 'native')('eight processes appending at once keep one unbroken chain', async () => {
    const log = join(tmp, `conc${n++}.jsonl`);
    const script = `
      import { appendAudit } from './src/formats/audit.ts';
      for (let i = 0; i < 25; i++) await appendAudit(process.argv[1], { event_type: 'config_set', details: { key: 'k', value: String(i) } }, new Date().toISOString());
    `;
    const root = join(import.meta.dirname, '..', '..');
    await Promise.all(
      Array.from({ length: 8 }, () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, log], { cwd: root, stdio: 'inherit' });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender exited ${code}`))));
        }),
      ),
    );
    expect(await verifyChain(log)).toEqual({ malformed: [], records: 200 });
  });
});
