/**
 * Concurrent invocations are safe (§5.6): processes snapshotting and restoring the same
 * worktree at once serialize on its lock, and the repository stays one consistent lineage.
 */
import { spawn } from 'node:child_process';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { verifyChain } from '../../src/formats/audit.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('conc');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const repoRoot = join(import.meta.dirname, '..', '..');

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('concurrent snapshots of one worktree', () => {
  it('six processes × three snapshots make one linear lineage', async () => {
    const { root } = await freshRepo(tmp, 'lin');
    await writeFile(join(root, 'main', 'f'), 'x');
    const script = `
      import { Repository } from './src/index.ts';
      const repo = Repository.openAt(process.argv[1]);
      for (let i = 0; i < 3; i++) await repo.snapshot({ worktree: 'main', note: process.argv[2] + '-' + i });
    `;
    const results = await Promise.all(Array.from({ length: 6 }, (_, k) => run(script, [root, `p${k}`], { JVS_LOCK_TIMEOUT_MS: '60000' })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const repo = Repository.openAt(root, { env: {} });
    const lineage = await repo.history({ worktree: 'main' });
    expect(lineage).toHaveLength(18);
    for (let i = 0; i < lineage.length - 1; i++) expect(lineage[i]!.parent_id).toBe(lineage[i + 1]!.snapshot_id);
    expect(lineage.at(-1)!.parent_id).toBeUndefined();
    expect((await repo.history({ all: true })).length).toBe(18);
    expect(await readdir(join(root, '.jvs/intents'))).toEqual([]);
    expect(await verifyChain(join(root, '.jvs/audit/audit.jsonl'))).toEqual({ malformed: [], records: 19 });
  });

  it('a worktree held longer than the wait gives E_LOCKED naming the holder', async () => {
    const { root } = await freshRepo(tmp, 'held');
    const holder = `
      import { Repository } from './src/index.ts';
      const repo = Repository.openAt(process.argv[1], { command: 'jvs test-holder' });
      await repo.withWorktreeLocks(['main'], 'hold', () => new Promise((r) => setTimeout(r, 4000)));
    `;
    const held = run(holder, [root]);
    await new Promise((r) => setTimeout(r, 1500));
    const contender = await run(
      `import { Repository } from './src/index.ts';
       try { await Repository.openAt(process.argv[1]).snapshot({ worktree: 'main' }); } catch (e) { console.error(e.code + ' ' + e.message); process.exit(1); }`,
      [root],
      { JVS_LOCK_TIMEOUT_MS: '500' },
    );
    expect(contender.code).toBe(1);
    expect(contender.stderr).toMatch(/E_LOCKED E_LOCKED: worktree 'main' is locked by jvs test-holder \(pid \d+ on .+, since .+\)/);
    expect((await held).code).toBe(0);
  });
});
