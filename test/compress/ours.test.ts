/**
 * Our compressed layout (CONTRACT §3.9): written by `snapshot --compress`, read back as the
 * logical tree by restore, fork, ls, cat, diff, status and verify.
 */
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { checkCompressionLevel, parseCompressionLevel } from '../../src/compress/index.js';
import { getCore } from '../../src/native/index.js';
import { freshRepo, tempDir, writeTree } from '../support/repo.js';
import { isFile, modeOf, treeState } from './support.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('compress');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let n = 0;

/** A name that is not UTF-8: `caf\xe9.txt`. */
const LATIN1_NAME = Buffer.from('caf\xe9.txt', 'latin1');

/** A worktree with every kind of entry, modes, `.gz` names and a name that is not UTF-8. */
async function richTree(dir: string): Promise<void> {
  await writeTree(dir, {
    'a.txt': 'hello',
    'run.sh': { mode: 0o755, data: '#!/bin/sh\necho hi\n' },
    secret: { mode: 0o600, data: 'shh' },
    foo: 'foo',
    'foo.gz': 'not gzip at all',
    'foo.gz.gz': 'triple',
    'sub/b.txt': 'b'.repeat(10_000),
    'sub/deeper/c.txt': 'c',
    link: { link: 'a.txt' },
    dangling: { link: 'nowhere' },
    dirlink: { link: 'sub' },
  });
  await writeFile(join(dir, 'real.gz'), gzipSync('real gzip data'));
  await mkdir(join(dir, 'sub/empty'));
  await chmod(join(dir, 'sub'), 0o750);
  await writeFile(Buffer.concat([Buffer.from(`${dir}/`), LATIN1_NAME]), 'latin1 name');
}

async function setup(): Promise<{ repo: Repository; root: string; main: string; warnings: string[] }> {
  const { root, warnings } = await freshRepo(tmp, `r${n++}`);
  const repo = Repository.openAt(root, { env: {}, onWarning: (w) => warnings.push(w) });
  const main = join(root, 'main');
  await richTree(main);
  return { repo, root, main, warnings };
}

const snapDir = (root: string, id: string): string => join(root, '.jvs/snapshots', id);

describe('compression levels (§2.3 check 8)', () => {
  it.each([
    ['none', 0],
    ['FAST', 1],
    ['Default', 6],
    ['max', 9],
    ['0', 0],
    ['1', 1],
    ['6', 6],
    ['9', 9],
  ])('parses %j as %i', (v, level) => {
    expect(parseCompressionLevel(v)).toBe(level);
  });

  it.each(['2', 'best', '', ' 6', 'constructor'])('refuses %j with E_USAGE', (v) => {
    expect(() => parseCompressionLevel(v)).toThrow(
      expect.objectContaining({ code: 'E_USAGE', message: `invalid compression level: invalid compression level: ${v} (must be none, fast, default, or max)` }),
    );
  });

  it('the library checks numeric levels before anything is written', async () => {
    expect(() => checkCompressionLevel(5)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    const { repo, root } = await setup();
    await expect(repo.snapshot({ worktree: 'main', compress: 3 })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'invalid compression level: invalid compression level: 3 (must be none, fast, default, or max)',
    });
    expect(await readdir(join(root, '.jvs/snapshots'))).toEqual([]);
  });

  it('level 0 stores the snapshot uncompressed', async () => {
    const { repo, root } = await setup();
    const counts: number[] = [];
    const d = await repo.snapshot({ worktree: 'main', compress: 0, onCompressed: (c) => counts.push(c) });
    expect(d.compression).toBeUndefined();
    expect(counts).toEqual([]);
    expect(await isFile(join(snapDir(root, d.snapshot_id), 'a.txt'))).toBe(true);
  });
});

describe('writing our layout (§3.4 step 8, §3.9)', () => {
  it.each([1, 6, 9])('level %i: every regular file becomes X.gz with its mode and mtime; root .READY plain', async (level) => {
    const { repo, root, main } = await setup();
    const before = await treeState(main, { mtimes: true });
    const counts: number[] = [];
    const d = await repo.snapshot({ worktree: 'main', compress: level, onCompressed: (c) => counts.push(c) });
    expect(d.compression).toEqual({ type: 'gzip', level });
    expect(d.payload_root_hash).toBe((await getCore().hashTree(main)).rootHash);
    expect(JSON.parse(await readFile(join(root, '.jvs/ext/meta', `${d.snapshot_id}.json`), 'utf8'))).toMatchObject({ compressed_layout: 'jvs' });
    const descriptor = JSON.parse(await readFile(join(root, '.jvs/descriptors', `${d.snapshot_id}.json`), 'utf8')) as Record<string, unknown>;
    expect(descriptor['compression']).toEqual({ type: 'gzip', level });

    const dir = snapDir(root, d.snapshot_id);
    expect(JSON.parse(await readFile(join(dir, '.READY'), 'utf8'))).toMatchObject({ snapshot_id: d.snapshot_id });
    const stored = await getCore().walk(dir);
    const files = stored.filter((e) => e.kind === 'file' && !e.path.equals(Buffer.from('.READY')));
    expect(counts).toEqual([files.length]);
    expect(files.length).toBe(10);
    for (const e of files) {
      expect(e.path.subarray(-3).toString()).toBe('.gz');
      const bytes = await readFile(Buffer.concat([Buffer.from(`${dir}/`), e.path]));
      // Magic, deflate; no name, comment or extra field; zero time; XFL tells the level.
      expect([...bytes.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
      expect(bytes[3]).toBe(0);
      expect(bytes.readUInt32LE(4)).toBe(0);
      expect(bytes[8]).toBe(level === 9 ? 2 : level === 1 ? 4 : 0);
      const logical = e.path.subarray(0, -3);
      const orig = before.get(logical.toString('hex'))!;
      const content = gunzipSync(bytes).toString('base64');
      expect(`file ${(e.mode & 0o7777).toString(8)} ${content} @${e.mtimeNs / 1000n}`).toBe(orig);
    }
    // Symlinks and directories are unchanged.
    expect(stored.filter((e) => e.kind === 'symlink').map((e) => `${e.path.toString()} -> ${e.target!.toString()}`)).toEqual([
      'dangling -> nowhere',
      'dirlink -> sub',
      'link -> a.txt',
    ]);
    expect((await lstat(join(dir, 'sub'))).mode & 0o777).toBe(0o750);
    expect((await lstat(join(dir, 'sub/empty'))).isDirectory()).toBe(true);
  });

  it('foo, foo.gz and foo.gz.gz become foo.gz, foo.gz.gz and foo.gz.gz.gz', async () => {
    const { repo, root } = await setup();
    const d = await repo.snapshot({ worktree: 'main', compress: 6 });
    const dir = snapDir(root, d.snapshot_id);
    const names = (await readdir(dir)).filter((x) => x.startsWith('foo')).sort();
    expect(names).toEqual(['foo.gz', 'foo.gz.gz', 'foo.gz.gz.gz']);
    expect(gunzipSync(await readFile(join(dir, 'foo.gz'))).toString()).toBe('foo');
    expect(gunzipSync(await readFile(join(dir, 'foo.gz.gz'))).toString()).toBe('not gzip at all');
    expect(gunzipSync(await readFile(join(dir, 'foo.gz.gz.gz'))).toString()).toBe('triple');
    expect(gunzipSync(gunzipSync(await readFile(join(dir, 'real.gz.gz')))).toString()).toBe('real gzip data');
    expect((await readdir(dir)).filter((x) => x.startsWith('.jvs-tmp-'))).toEqual([]);
  });

  it.each([
    ['a symlink', 'a.gz', async (main: string) => symlink('a', join(main, 'a.gz'))],
    ['a directory', 'sub/d.gz', async (main: string) => mkdir(join(main, 'sub/d.gz'))],
  ])('%s named X.gz next to a regular X: stored uncompressed, with a warning', async (_what, at, make) => {
    const { repo, root, main, warnings } = await setup();
    await writeFile(join(main, at.slice(0, -3)), 'x');
    await make(main);
    const counts: number[] = [];
    const d = await repo.snapshot({ worktree: 'main', compress: 9, onCompressed: (c) => counts.push(c) });
    expect(d.compression).toBeUndefined();
    expect(counts).toEqual([]);
    expect(warnings).toEqual([`compression skipped: name collision at ${at}`]);
    const dir = snapDir(root, d.snapshot_id);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('hello');
    expect(await isFile(join(dir, 'a.txt.gz'))).toBe(false);
    expect(JSON.parse(await readFile(join(root, '.jvs/ext/meta', `${d.snapshot_id}.json`), 'utf8'))).not.toHaveProperty('compressed_layout');
    expect(await repo.verify(d.snapshot_id)).toMatchObject({ payload_hash_valid: true, tamper_detected: false });
  });
});

describe('reading our layout: the logical tree everywhere (§3.9)', () => {
  it('verify passes, and detects a changed compressed file by its logical path', async () => {
    const { repo, root } = await setup();
    const d = await repo.snapshot({ worktree: 'main', compress: 6 });
    expect(await repo.verify(d.snapshot_id)).toEqual({ snapshot_id: d.snapshot_id, checksum_valid: true, payload_hash_valid: true, tamper_detected: false });
    expect((await repo.verifyAll()).results).toEqual([expect.objectContaining({ payload_hash_valid: true, tamper_detected: false })]);

    const target = join(snapDir(root, d.snapshot_id), 'sub/b.txt.gz');
    await chmod(target, 0o644);
    await writeFile(target, gzipSync('tampered'));
    expect(await repo.verify(d.snapshot_id)).toEqual({
      snapshot_id: d.snapshot_id,
      checksum_valid: true,
      payload_hash_valid: false,
      tamper_detected: true,
      severity: 'critical',
      error: 'E_PAYLOAD_HASH_MISMATCH: payload hash mismatch',
      differences: [{ path: Buffer.from('sub/b.txt'), type: 'modified' }],
    });
    // Bytes that are not gzip any more: still a mismatch at the logical path, not an I/O error.
    await writeFile(target, 'plain');
    expect(await repo.verify(d.snapshot_id)).toMatchObject({ tamper_detected: true, differences: [{ path: Buffer.from('sub/b.txt'), type: 'modified' }] });
  });

  it('restore makes the worktree exactly the logical tree: bytes, modes, mtimes, symlinks, odd names', async () => {
    const { repo, root, main } = await setup();
    const reference = await treeState(main, { mtimes: true });
    const d = await repo.snapshot({ worktree: 'main', compress: 1 });
    // Change everything, then go back.
    await writeFile(join(main, 'a.txt'), 'changed');
    await chmod(join(main, 'run.sh'), 0o644);
    await rm(join(main, 'sub'), { recursive: true });
    await unlink(join(main, 'link'));
    await symlink('secret', join(main, 'link'));
    await unlink(Buffer.concat([Buffer.from(`${main}/`), LATIN1_NAME]));
    await writeTree(main, { 'extra/new.txt': 'new' });
    const decompressed: number[] = [];
    const r = await repo.restore({ worktree: 'main', ref: d.snapshot_id, discard: true, onDecompressed: (c) => decompressed.push(c) });
    expect(r).toEqual({ detached: false, snapshot_id: d.snapshot_id, status: 'restored' });
    expect(await treeState(main, { mtimes: true })).toEqual(reference);
    // a.txt, sub/b.txt, sub/deeper/c.txt and the odd name were written; run.sh only chmodded.
    expect(decompressed).toEqual([4]);
    expect(await modeOf(join(main, 'run.sh'))).toBe(0o755);
    expect(await readdir(root)).not.toContain(expect.stringContaining('restore-tmp'));
    expect(await isFile(join(main, '.READY'))).toBe(false);
    expect((await repo.status('main')).clean).toBe(true);

    // A partial restore decompresses just that path; an unchanged worktree decompresses nothing.
    await writeFile(join(main, 'foo.gz'), 'edited');
    const partial: number[] = [];
    await repo.restore({ worktree: 'main', ref: d.snapshot_id, paths: ['foo.gz'], discard: true, onDecompressed: (c) => partial.push(c) });
    expect(await readFile(join(main, 'foo.gz'), 'utf8')).toBe('not gzip at all');
    expect(partial).toEqual([1]);
    const none: number[] = [];
    await repo.restore({ worktree: 'main', ref: d.snapshot_id, onDecompressed: (c) => none.push(c) });
    expect(none).toEqual([]);
  });

  it('fork and create --from write the logical tree, no .READY', async () => {
    const { repo, root, main } = await setup();
    const reference = await treeState(main, { mtimes: true });
    const d = await repo.snapshot({ worktree: 'main', compress: 9 });
    const forked = await repo.forkWorktree('main', [d.snapshot_id, 'f1']);
    expect(forked).toMatchObject({ name: 'f1', head_snapshot_id: d.snapshot_id });
    expect(await treeState(join(root, 'worktrees/f1'), { mtimes: true })).toEqual(reference);
    expect(await isFile(join(root, 'worktrees/f1/.READY'))).toBe(false);
    await repo.createWorktree('c1', { from: d.snapshot_id });
    expect(await treeState(join(root, 'worktrees/c1'), { mtimes: true })).toEqual(reference);
    expect((await lstat(join(root, 'worktrees/c1/sub'))).mode & 0o777).toBe(0o750);
    expect((await repo.status('f1')).clean).toBe(true);
  });

  it('ls, cat and diff see logical names, sizes, modes and bytes', async () => {
    const { repo, main } = await setup();
    const plain = await repo.snapshot({ worktree: 'main', note: 'plain' });
    const packed = await repo.snapshot({ worktree: 'main', compress: 6 });
    const strip = (es: { path: Buffer }[]): unknown[] => es.map((e) => ({ ...e, path: e.path.toString('hex') }));
    expect(strip(await repo.ls(packed.snapshot_id))).toEqual(strip(await repo.ls(plain.snapshot_id)));
    expect(strip(await repo.ls(packed.snapshot_id, 'sub'))).toEqual(strip(await repo.ls(plain.snapshot_id, 'sub')));
    expect(await repo.ls(packed.snapshot_id, 'foo.gz')).toEqual([{ path: Buffer.from('foo.gz'), type: 'file', mode: 0o644, size: 15 }]);

    expect(await text(await repo.cat(packed.snapshot_id, 'foo.gz'))).toBe('not gzip at all');
    expect(await text(await repo.cat(packed.snapshot_id, 'link'))).toBe('hello');
    expect(await text(await repo.cat(packed.snapshot_id, 'dirlink/deeper/c.txt'))).toBe('c');
    expect(await text(await repo.cat(plain.snapshot_id, 'dirlink/deeper/c.txt'))).toBe('c');
    expect((await (await repo.cat(packed.snapshot_id, 'real.gz')).toArray()).length).toBeGreaterThan(0);
    await expect(repo.cat(packed.snapshot_id, 'dangling')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: 'cat: dangling: dangling symlink' });
    await expect(repo.cat(packed.snapshot_id, 'sub')).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(repo.cat(packed.snapshot_id, 'a.txt.gz')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });

    const same = await repo.diff({ from: plain.snapshot_id, to: packed.snapshot_id });
    expect([same.total_added, same.total_removed, same.total_modified]).toEqual([0, 0, 0]);
    await writeFile(join(main, 'a.txt'), 'hello, world');
    await rm(join(main, 'secret'));
    const later = await repo.snapshot({ worktree: 'main', compress: 1 });
    const d = await repo.diff({ from: packed.snapshot_id, to: later.snapshot_id });
    expect(d.modified).toEqual([
      expect.objectContaining({ path: Buffer.from('a.txt'), mode: 0o644, size: 12, old_size: 5 }),
    ]);
    expect(d.removed).toEqual([expect.objectContaining({ path: Buffer.from('secret'), mode: 0o600, size: 3 })]);
    const vsWorktree = await repo.diff({ from: packed.snapshot_id, worktree: 'main' });
    expect([vsWorktree.total_added, vsWorktree.total_removed, vsWorktree.total_modified]).toEqual([0, 1, 1]);
  });

  it('records are rebuilt from the compressed files when the manifest is gone', async () => {
    const { repo, root } = await setup();
    const plain = await repo.snapshot({ worktree: 'main' });
    const packed = await repo.snapshot({ worktree: 'main', compress: 6 });
    await rm(join(root, '.jvs/ext/manifests'), { recursive: true });
    const strip = (es: { path: Buffer }[]): unknown[] => es.map((e) => ({ ...e, path: e.path.toString('hex') }));
    expect(strip(await repo.ls(packed.snapshot_id, 'sub'))).toEqual(strip(await repo.ls(plain.snapshot_id, 'sub')));
    expect(await isFile(join(root, '.jvs/ext/manifests/snapshots', packed.snapshot_id))).toBe(true);
  });

  it('streams a large file through gzip and back with bounded memory', async () => {
    const { repo, root, main } = await setup();
    const big = join(main, 'big.bin');
    // 256 MiB: mostly a hole (zeros), with distinct bytes at both ends.
    await writeFile(big, 'start');
    await truncate(big, 256 << 20);
    execFileSync('sh', ['-c', `printf end >> '${big}'`]);
    const expected = (await getCore().hashPaths(main, [Buffer.from('big.bin')]))[0]!.hash;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      const d = await repo.snapshot({ worktree: 'main', compress: 1 });
      expect((await lstat(join(snapDir(root, d.snapshot_id), 'big.bin.gz'))).size).toBeLessThan(4 << 20);
      await repo.forkWorktree('main', [d.snapshot_id, 'big']);
      expect((await getCore().hashPaths(join(root, 'worktrees/big'), [Buffer.from('big.bin')]))[0]!.hash).toBe(expected);
      let bytes = 0;
      for await (const chunk of await repo.cat(d.snapshot_id, 'big.bin')) bytes += (chunk as Buffer).length;
      expect(bytes).toBe((256 << 20) + 3);
    } finally {
      clearInterval(timer);
    }
    expect(peak - baseline).toBeLessThan(128 << 20);
  });
});
