/**
 * v8.2's compressed layout, read only (CONTRACT §3.9): built by hand from snapshots the way
 * v8.2 compressed them, then verified, restored, forked, listed, read and compared as their
 * logical tree, with modes and symlinks recovered from relatives where they exist.
 */
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { getCore } from '../../src/native/index.js';
import { extractFixture, FIXTURE_IDS as ID } from '../support/fixture.js';
import { freshRepo, tempDir, writeTree } from '../support/repo.js';
import { isFile, modeOf, toV82Layout, treeState } from './support.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('v82');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

async function fixture(): Promise<{ repo: Repository; root: string; warnings: string[] }> {
  const parent = join(tmp, `fx${n++}`);
  await mkdir(parent);
  const root = extractFixture(parent);
  const warnings: string[] = [];
  return { repo: Repository.openAt(root, { env: {}, onWarning: (w) => warnings.push(w) }), root, warnings };
}

const snapDir = (root: string, id: string): string => join(root, '.jvs/snapshots', id);

/** A copy of a snapshot directory as it is now (the logical tree to expect later). */
function keep(root: string, id: string): string {
  const copy = join(tmp, `keep${n++}`);
  execFileSync('cp', ['-a', snapDir(root, id), copy]);
  return copy;
}

const stored = async (dir: string): Promise<string[]> => (await getCore().walk(dir)).map((e) => `${e.kind} ${e.path.toString()} ${e.size}`);
const strip = (es: { path: Buffer }[]): unknown[] => es.map((e) => ({ ...e, path: e.path.toString() }));
const INEXACT_ERROR = 'E_PAYLOAD_HASH_MISMATCH: v8.2 compressed layout: original modes or symlinks not recoverable';

describe('v8.2 layout, reconstructed exactly from relatives', () => {
  it('verifies, restores, forks, lists, reads and compares as the original tree', async () => {
    const { repo, root, warnings } = await fixture();
    // `second` changed a.txt since `first`: its a.txt, and `link` read through to it, are found
    // only in the descendant `chain`.
    const reference = keep(root, ID.second);
    const diffBefore = await repo.diff({ from: ID.first, to: ID.chain });
    await toV82Layout(root, ID.second);
    const dir = snapDir(root, ID.second);
    expect(await isFile(join(dir, '.READY.gz'))).toBe(true);
    expect(await isFile(join(dir, '.READY'))).toBe(false);
    expect(await modeOf(join(dir, 'link.gz'))).toBe(0o600);
    const storedBefore = await stored(dir);

    expect(await repo.verify(ID.second)).toEqual({ snapshot_id: ID.second, checksum_valid: true, payload_hash_valid: true, tamper_detected: false });

    const decompressed: number[] = [];
    const r = await repo.restore({ worktree: 'main', ref: ID.second, discard: true, onDecompressed: (c) => decompressed.push(c) });
    expect(r.snapshot_id).toBe(ID.second);
    expect(await treeState(join(root, 'main'))).toEqual(await treeState(reference));
    expect(await readlink(join(root, 'main/link'))).toBe('a.txt');
    expect(await modeOf(join(root, 'main/run.sh'))).toBe(0o755);
    expect(await modeOf(join(root, 'main/sub/b.txt'))).toBe(0o600);
    expect(await readdir(join(root, 'main'))).not.toContain('.READY');
    expect(await readdir(join(root, 'main'))).not.toContain('.READY.gz');
    expect(decompressed).toEqual([2]); // a.txt and newdir/n.txt differ from `first`
    expect(warnings).toEqual([]);

    await repo.forkWorktree('main', [ID.second, 'from-gz']);
    expect(await treeState(join(root, 'worktrees/from-gz'))).toEqual(await treeState(reference));
    expect(await readdir(join(root, 'worktrees/from-gz'))).not.toContain('.READY.gz');

    expect(strip(await repo.ls(ID.second))).toEqual(strip(await repo.ls(ID.chain)));
    expect(await text(await repo.cat(ID.second, 'link'))).toBe(await readFile(join(reference, 'a.txt'), 'utf8'));
    expect(Buffer.concat(await (await repo.cat(ID.second, 'data/blob.bin')).toArray())).toEqual(await readFile(join(reference, 'data/blob.bin')));
    expect(await repo.diff({ from: ID.first, to: ID.second })).toEqual({ ...diffBefore, to_snapshot_id: ID.second, to_time: expect.any(String) });
    const none = await repo.diff({ from: ID.second, to: ID.chain });
    expect([none.total_added, none.total_removed, none.total_modified]).toEqual([0, 0, 0]);

    // Nothing was ever decompressed into the snapshot directory.
    expect(await stored(dir)).toEqual(storedBefore);
    const all = await repo.verifyAll();
    expect(all.results?.every((x) => x.payload_hash_valid && !x.tamper_detected)).toBe(true);
  });

  it('tells gzip files that v8.2 left as they were (`X.gz`) from its own, and ignores every .READY.gz', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    const main = join(root, 'main');
    await writeTree(main, {
      'x.txt': 'x',
      tool: { mode: 0o755, data: 'run me' },
      lnk: { link: 'x.txt' },
      'fake.gz': 'not gzip',
      'sub/.READY': 'a nested marker, outside the hash',
    });
    await writeFile(join(main, 'data.csv.gz'), gzipSync('a,b\n1,2\n'));
    const s1 = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    await writeFile(join(main, 'new.txt'), 'new');
    const s2 = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    const reference = keep(root, s2);

    await toV82Layout(root, s2);
    expect(await isFile(join(snapDir(root, s2), 'sub/.READY.gz'))).toBe(true);
    expect(await repo.verify(s2)).toMatchObject({ payload_hash_valid: true, tamper_detected: false });
    const names = (await repo.ls(s2)).map((e) => `${e.type} ${e.path.toString()} ${e.mode.toString(8)}`);
    expect(names).toEqual(['file data.csv.gz 644', 'file fake.gz 644', 'symlink lnk 777', 'file new.txt 644', 'dir sub 755', 'file tool 755', 'file x.txt 644']);
    await repo.createWorktree('c', { from: s2 });
    const wt = join(root, 'worktrees/c');
    const refState = await treeState(reference);
    refState.delete(Buffer.from('sub/.READY').toString('hex')); // never part of the logical tree
    expect(await treeState(wt)).toEqual(refState);

    // s2 now has a manifest (written when its records were first read), which makes it a
    // relative that s1, compressed in turn, can be recovered from.
    await toV82Layout(root, s1);
    expect(await repo.verify(s1)).toMatchObject({ payload_hash_valid: true, tamper_detected: false });
    expect(await text(await repo.cat(s1, 'lnk'))).toBe('x');
  });
});

describe('v8.2 layout that cannot be reconstructed (§3.9 step 4, §2.8)', () => {
  it('a changed symlink target and mode: verify reports the non-tamper error, restore warns, reads still work', async () => {
    const { repo, root, warnings } = await fixture();
    await repo.forkWorktree('main', [ID.first, 'odd']);
    const odd = join(root, 'worktrees/odd');
    await unlink(join(odd, 'link'));
    await symlink('we:ird', join(odd, 'link'));
    await chmod(join(odd, 'run.sh'), 0o700);
    const s = (await repo.snapshot({ worktree: 'odd', note: 'odd' })).snapshot_id;
    await toV82Layout(root, s);

    expect(await repo.verify(s)).toEqual({
      snapshot_id: s,
      checksum_valid: true,
      payload_hash_valid: false,
      tamper_detected: false,
      severity: 'error',
      error: INEXACT_ERROR,
    });
    const results = (await repo.verifyAll()).results ?? [];
    expect(results.find((x) => x.snapshot_id === s)).toMatchObject({ tamper_detected: false, severity: 'error', error: INEXACT_ERROR });

    await writeFile(join(odd, 'a.txt'), 'scribble');
    await repo.restore({ worktree: 'odd', ref: s, discard: true });
    expect(warnings).toEqual([`${s}: v8.2 compressed snapshot; original modes or symlinks could not be recovered`]);
    // The link's target matches no relative: a regular file with what v8.2 read through it.
    expect((await lstat(join(odd, 'link'))).isFile()).toBe(true);
    expect(await readFile(join(odd, 'link'), 'utf8')).toBe(await readFile(join(root, 'main/we:ird'), 'utf8'));
    expect(await modeOf(join(odd, 'link'))).toBe(0o644);
    // run.sh's content matches `first`, whose mode (0755) is all that can be known.
    expect(await modeOf(join(odd, 'run.sh'))).toBe(0o755);
    expect(await readFile(join(odd, 'a.txt'), 'utf8')).toBe(await readFile(join(snapDir(root, ID.first), 'a.txt'), 'utf8'));

    expect(await repo.ls(s, 'link')).toEqual([expect.objectContaining({ type: 'file', mode: 0o644 })]);
    expect(await text(await repo.cat(s, 'link'))).toBe(await readFile(join(root, 'main/we:ird'), 'utf8'));
    const d = await repo.diff({ from: ID.first, to: s });
    expect(d.modified?.map((c) => c.path.toString())).toEqual(['link']);
  });

  it('without relatives every decompressed entry is a 0644 file', async () => {
    const { repo, root } = await freshRepo(tmp, `r${n++}`);
    await writeTree(join(root, 'main'), { 'plain.txt': 'p', 'tool.sh': { mode: 0o755, data: 'x' } });
    const s = (await repo.snapshot({ worktree: 'main' })).snapshot_id;
    await toV82Layout(root, s);
    expect(await repo.verify(s)).toMatchObject({ tamper_detected: false, severity: 'error', error: INEXACT_ERROR });
    expect((await repo.ls(s)).map((e) => `${e.path.toString()} ${e.mode.toString(8)}`)).toEqual(['plain.txt 644', 'tool.sh 644']);
  });
});
