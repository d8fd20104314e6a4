/**
 * Adversarial cases of issue 4 that need more than one process or file system: a file written
 * while it is being snapshotted, and a worktree on another file system than `.jvs/`. For each,
 * every snapshot verifies and restoring it reproduces its exact bytes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Repository } from '../../src/index.js';
import { getCore } from '../../src/native/index.js';
import { racyWindowNs } from '../../src/statcache/racy.js';
import { freshDir, fsTarget, removeTree } from '../support/filesystems.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('statcache-adversarial');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Waits until what was just written is older than the racy window of the file system under test. */
const settle = async (): Promise<void> => {
  const ms = Number((await racyWindowNs(tmp)) / 1_000_000n) + 200;
  await new Promise((r) => setTimeout(r, ms));
};

/** Snapshot `id` verifies, and restoring it makes the payload hash to exactly its records. */
async function verifiesAndRestores(repo: Repository, payload: string, id: string): Promise<void> {
  const v = await repo.verify(id);
  expect(v.payload_hash_valid && !v.tamper_detected, id).toBe(true);
  await repo.restore({ worktree: 'main', ref: id, discard: true });
  const d = (await repo.history({ all: true })).find((x) => x.snapshot_id === id)!;
  expect((await getCore().hashTree(payload)).rootHash, id).toBe(d.payload_root_hash);
}

/** A process rewriting `file` with two same-size contents in turn until killed. */
function rewriter(file: string): ChildProcess {
  const code = `const fs = require('fs'); let i = 0; for (;;) fs.writeFileSync(${JSON.stringify(file)}, (i++ % 2 ? 'A' : 'B').repeat(4096));`;
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

describe('a file that changes during the snapshot', () => {
  it('each snapshot describes exactly what it captured', async () => {
    const { repo, root } = await freshRepo(tmp, 'hot');
    const main = join(root, 'main');
    // Enough files that cloning takes a while, all settled so the stat cache vouches for them.
    for (let d = 0; d < 10; d++) {
      await mkdir(join(main, `d${d}`));
      for (let f = 0; f < 200; f++) await writeFile(join(main, `d${d}`, `f${f}`), `${d}/${f}`);
    }
    const hot = join(main, 'hot');
    await writeFile(hot, 'A'.repeat(4096));
    await repo.snapshot({ worktree: 'main' });
    await settle();
    await repo.status('main');

    const writer = rewriter(hot);
    const ids: string[] = [];
    try {
      for (let i = 0; i < 6; i++) ids.push((await repo.snapshot({ worktree: 'main' })).snapshot_id);
    } finally {
      writer.kill('SIGKILL');
      await new Promise((r) => writer.once('exit', r));
    }
    for (const id of ids) {
      // Whatever moment it caught (even the writer's truncation), the snapshot must say so.
      const captured = await readFile(join(root, '.jvs/snapshots', id, 'hot'), 'utf8');
      expect(['', 'A'.repeat(4096), 'B'.repeat(4096)]).toContain(captured);
      expect((await repo.ls(id, 'hot'))[0]!.size ?? 0).toBe(captured.length);
      await verifiesAndRestores(repo, main, id);
      expect(await readFile(hot, 'utf8')).toBe(captured);
    }
  });
});

describe('a worktree on another file system than .jvs/', () => {
  const xfs = fsTarget('xfs');
  const canMount = process.getuid?.() === 0;
  if (!canMount) console.warn('[jvs-test] worktree-on-another-fs skipped: bind-mounting needs root');
  it.skipIf(!xfs.dir || !canMount)('snapshots, verifies and restores exactly', async () => {
    const { repo, root } = await freshRepo(tmp, 'otherfs');
    const main = join(root, 'main');
    const elsewhere = await freshDir(xfs, 'worktree');
    expect(spawnSync('mount', ['--bind', elsewhere, main]).status).toBe(0);
    try {
      for (const f of ['a', 'b', 'c']) await writeFile(join(main, f), `${f} first`);
      const first = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
      await settle();
      await writeFile(join(main, 'b'), 'b second');
      const second = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
      await verifiesAndRestores(repo, main, first);
      expect(await readFile(join(main, 'b'), 'utf8')).toBe('b first');
      await verifiesAndRestores(repo, main, second);
      expect(await readFile(join(main, 'b'), 'utf8')).toBe('b second');
    } finally {
      spawnSync('umount', [main]);
      await removeTree(elsewhere);
    }
  });
});
