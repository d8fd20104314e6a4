import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFallbackCore } from '../../src/native/fallback/index.js';
import { statIdOf } from '../../src/native/codec.js';
import { onJuicefsMount } from '../../src/native/fallback/probe.js';
import type { CoreError, HashRecord, Progress, WalkEntry } from '../../src/native/types.js';
import {
  CONTRACT_VECTOR_LINES,
  CONTRACT_VECTOR_ROOT_HASH,
  EMPTY_TREE_ROOT_HASH,
  MODES_TREE,
  NON_UTF8,
  addFifo,
  buildAwkwardNamesTree,
  buildContractVectorTree,
  buildDeepTree,
  buildHardlinksTree,
  buildModesTree,
  buildNonUtf8NamesTree,
  removeTree,
  under,
} from './fixtures.js';
import { freshDir, fsTarget } from '../support/filesystems.js';

const core = createFallbackCore();
const isRoot = process.getuid?.() === 0;

let work: string;
let src: string;
let dst: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'jvs-fallback-'));
  src = join(work, 'src');
  dst = join(work, 'dst');
  await mkdir(src);
});

afterEach(async () => {
  await removeTree(work);
});

/** The rejection of p, which must reject. */
async function failure(p: Promise<unknown>): Promise<CoreError> {
  try {
    await p;
  } catch (err) {
    return err as CoreError;
  }
  throw new Error('expected a rejection');
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function line(r: HashRecord): Buffer {
  const mode = `mode=${r.perm.toString(8).padStart(4, '0')}`;
  const meta = r.kind === 'file' ? `${mode},size=${r.size}` : mode;
  return Buffer.concat([Buffer.from(`${r.kind}:`), r.path, Buffer.from(`:${meta}:${r.hash}`)]);
}

function names(entries: Array<{ path: Buffer }>): string[] {
  return entries.map((e) => e.path.toString('latin1'));
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** What a clone must reproduce: everything the walk sees except identity and change times. */
function comparable(entries: WalkEntry[]): unknown[] {
  return entries.map((e) => ({ path: e.path.toString('hex'), kind: e.kind, mode: e.mode, size: e.size, target: e.target?.toString('hex') }));
}

describe('identity', () => {
  it('is the fallback, versioned like the package', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(core.kind).toBe('fallback');
    expect(core.version).toBe(pkg.version);
  });
});

describe('hashTree', () => {
  it('matches the CONTRACT §4 vector line for line', async () => {
    await buildContractVectorTree(src);
    const r = await core.hashTree(src, { records: true });
    expect(r.rootHash).toBe(CONTRACT_VECTOR_ROOT_HASH);
    expect(r.count).toBe(5);
    expect(r.bytes).toBe(6);
    expect(r.records?.map((rec) => line(rec).toString())).toEqual(CONTRACT_VECTOR_LINES);
  });

  it('hashes an empty tree as the empty string', async () => {
    const r = await core.hashTree(src, { records: true });
    expect(r).toEqual({ rootHash: EMPTY_TREE_ROOT_HASH, count: 0, bytes: 0, records: [] });
  });

  it('leaves records out unless asked', async () => {
    await buildContractVectorTree(src);
    expect((await core.hashTree(src)).records).toBeUndefined();
  });

  it('keeps awkward names raw, sorts lines byte-wise and skips .READY entries', async () => {
    await buildAwkwardNamesTree(src);
    const r = await core.hashTree(src, { records: true });
    const records = r.records ?? [];
    const paths = records.map((rec) => rec.path.toString());
    expect(paths).toContain('new\nline.txt');
    expect(paths).toContain('tab\there');
    expect(paths).toContain(' leading space');
    expect(paths).toContain('caf\u00e9');
    expect(paths).toContain('cafe\u0301');
    expect(paths).toContain('keep/.READY/inner.txt');
    expect(paths).not.toContain('.READY');
    expect(paths).not.toContain('keep/.READY');
    // Lines in byte order: within files, `order/a-b` < `order/a.b` < `order/a/b` < `order/a:b`.
    const lines = records.map(line);
    expect([...lines].sort(Buffer.compare)).toEqual(lines);
    expect(paths.filter((p) => p.startsWith('order/a'))).toEqual(['order/a', 'order/a-b', 'order/a.b', 'order/a/b', 'order/a:b']);
    // Every record hash, recomputed independently of the implementation.
    for (const rec of records) {
      const abs = under(src, rec.path);
      if (rec.kind === 'dir') expect(rec.hash).toBe(sha256(rec.path.subarray(rec.path.lastIndexOf(0x2f) + 1)));
      if (rec.kind === 'file') expect(rec.hash).toBe(sha256(await readFile(abs)));
      if (rec.kind === 'symlink') expect(rec.hash).toBe(sha256(await readlink(abs, { encoding: 'buffer' })));
    }
    const all = createHash('sha256');
    for (const l of lines) all.update(l).update('\n');
    expect(r.rootHash).toBe(all.digest('hex'));
    expect(r.count).toBe(records.length);
  });

  it('hashes non-UTF-8 names as their bytes', async () => {
    await buildNonUtf8NamesTree(src);
    const r = await core.hashTree(src, { records: true });
    const paths = (r.records ?? []).map((rec) => rec.path);
    expect(paths).toContainEqual(NON_UTF8.ff);
    expect(paths).toContainEqual(NON_UTF8.fe);
    expect(paths).toContainEqual(Buffer.concat([NON_UTF8.dir, Buffer.from('/'), NON_UTF8.latin1]));
    const ff = r.records?.find((rec) => rec.path.equals(NON_UTF8.ff));
    expect(ff?.hash).toBe(sha256('ff'));
  });

  it('hashes a 200-level tree', async () => {
    await buildDeepTree(src, 200);
    const r = await core.hashTree(src);
    expect(r.count).toBe(202);
  });

  it('rejects a FIFO without opening it', { timeout: 10_000 }, async () => {
    await buildContractVectorTree(src);
    addFifo(src, 'sub/pipe');
    const err = await failure(core.hashTree(src));
    expect(err.code).toBe('E_UNSUPPORTED_FILE');
    expect(err.message).toBe('unsupported file type (fifo): sub/pipe');
    expect(err.path).toBe('sub/pipe');
  });

  it('reports an unreadable file as E_IO EACCES naming it', async () => {
    await buildContractVectorTree(src);
    await writeFile(join(src, 'secret'), 'hidden');
    await chmod(join(src, 'secret'), 0o000);
    const err = await unprivilegedFailure('hashTree', src);
    expect(err).toMatchObject({ code: 'E_IO', errno: 'EACCES', path: 'secret' });
    expect(err.message).toContain('secret');
  });

  it('reports a missing root as E_NOT_FOUND', async () => {
    expect((await failure(core.hashTree(join(work, 'nope')))).code).toBe('E_NOT_FOUND');
  });
});

/**
 * How an unprivileged caller fails on a tree with an unreadable file. Root reads anything, so as
 * root the call runs in a child process as nobody (uid/gid 65534); otherwise in this process.
 */
async function unprivilegedFailure(op: 'hashTree' | 'cloneTree', tree: string, to = ''): Promise<CoreError> {
  if (!isRoot) return failure(op === 'hashTree' ? core.hashTree(tree) : core.cloneTree(tree, to, { engine: 'copy' }));
  const repo = new URL('../..', import.meta.url).pathname;
  const script = join(work, 'child.mts');
  // The child must reach the tree and, for a clone, create the destination in work.
  chmodSync(work, 0o777);
  chmodSync(tree, 0o755);
  writeFileSync(
    script,
    `import { createFallbackCore } from ${JSON.stringify(join(repo, 'src/native/fallback/index.ts'))};
    const core = createFallbackCore();
    const [op, tree, to] = process.argv.slice(2);
    try {
      await (op === 'hashTree' ? core.hashTree(tree) : core.cloneTree(tree, to, { engine: 'copy' }));
      console.log('{}');
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, errno: e.errno, path: e.path, message: e.message }));
    }`,
  );
  const args = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', script, op, tree, to];
  const run = spawnSync('setpriv', args, { cwd: repo, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as CoreError;
}

describe('walk', () => {
  it('lists every entry with lstat data, sorted by path bytes, root excluded', async () => {
    await buildContractVectorTree(src);
    const entries = await core.walk(src);
    expect(names(entries)).toEqual(['a.txt', 'link', 'sub', 'sub/b.txt', 'sub/empty']);
    const [a, link, sub] = entries;
    const st = await lstat(join(src, 'a.txt'), { bigint: true });
    const identity = { mode: Number(st.mode), size: 5, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, dev: st.dev, ino: st.ino };
    expect(a).toEqual({ path: Buffer.from('a.txt'), kind: 'file', ...identity, nlink: 1, statId: statIdOf(identity) });
    expect(link).toMatchObject({ kind: 'symlink', target: Buffer.from('a.txt'), size: 5 });
    expect(sub).toMatchObject({ kind: 'dir', mode: 0o40755 });
    expect(sub?.target).toBeUndefined();
  });

  it('never follows symlinks (loops, self, dangling)', async () => {
    await buildAwkwardNamesTree(src);
    const entries = await core.walk(src);
    const byName = new Map(entries.map((e) => [e.path.toString(), e]));
    expect(byName.get('loop-a')).toMatchObject({ kind: 'symlink', target: Buffer.from('loop-b') });
    expect(byName.get('self')).toMatchObject({ kind: 'symlink', target: Buffer.from('.') });
    expect(byName.get('dangling')).toMatchObject({ kind: 'symlink', target: Buffer.from('does/not/exist') });
    expect([...byName.keys()].some((p) => p.startsWith('self/') || p.startsWith('nested/up/'))).toBe(false);
    // Sorted by bytes, hence parents before children.
    expect([...entries].sort((x, y) => Buffer.compare(x.path, y.path))).toEqual(entries);
  });

  it('keeps NFC and NFD names apart, and non-UTF-8 names as bytes', async () => {
    await buildAwkwardNamesTree(src);
    await buildNonUtf8NamesTree(src);
    const paths = (await core.walk(src)).map((e) => e.path);
    expect(paths).toContainEqual(Buffer.from('caf\u00e9'));
    expect(paths).toContainEqual(Buffer.from('cafe\u0301'));
    expect(paths).toContainEqual(NON_UTF8.ff);
    expect(paths).toContainEqual(NON_UTF8.fe);
  });

  it('reports special files by kind', { timeout: 10_000 }, async () => {
    addFifo(src, 'pipe');
    expect(await core.walk(src)).toMatchObject([{ path: Buffer.from('pipe'), kind: 'fifo' }]);
  });

  it('walks 200 levels deep', async () => {
    await buildDeepTree(src, 200);
    const entries = await core.walk(src);
    expect(entries).toHaveLength(202);
    expect(entries.at(-1)?.path.toString()).toBe(`${'d/'.repeat(200)}link`);
  });
});

describe('cloneTree', () => {
  it('reproduces modes exactly under umask 077, and mtimes to the microsecond', async () => {
    await buildModesTree(src);
    await chmod(src, 0o751);
    const previous = process.umask(0o077);
    try {
      await core.cloneTree(src, dst, { engine: 'copy' });
    } finally {
      process.umask(previous);
    }
    for (const e of MODES_TREE) {
      const [s, d] = await Promise.all([lstat(join(src, e.path), { bigint: true }), lstat(join(dst, e.path), { bigint: true })]);
      // The source's actual bits: the OS may refuse setgid to a non-member group for non-root.
      expect({ path: e.path, mode: Number(d.mode).toString(8) }).toEqual({ path: e.path, mode: Number(s.mode).toString(8) });
      expect(s.mtimeNs).toBe(e.mtimeNs);
      // utimes through libuv keeps whole microseconds (see clone.ts).
      expect({ path: e.path, mtime: d.mtimeNs }).toEqual({ path: e.path, mtime: (e.mtimeNs / 1000n) * 1000n });
    }
    if (isRoot) expect(Number((await lstat(join(dst, 'd2775'))).mode) & 0o7777).toBe(0o2775);
    expect((await lstat(dst)).mode & 0o7777).toBe(0o751);
    expect((await core.hashTree(dst)).rootHash).toBe((await core.hashTree(src)).rootHash);
  });

  it('reproduces awkward and non-UTF-8 names, empty dirs and symlinks', async () => {
    await buildAwkwardNamesTree(src);
    await buildNonUtf8NamesTree(src);
    const report = await core.cloneTree(src, dst, { engine: 'copy' });
    const [s, d] = await Promise.all([core.walk(src), core.walk(dst)]);
    expect(comparable(d)).toEqual(comparable(s));
    expect(report).toMatchObject({
      requested: 'copy',
      engine: 'copy',
      files: s.filter((e) => e.kind === 'file').length,
      dirs: s.filter((e) => e.kind === 'dir').length,
      symlinks: s.filter((e) => e.kind === 'symlink').length,
      bytes: s.filter((e) => e.kind === 'file').reduce((n, e) => n + e.size, 0),
      fallbacks: [],
      hardlinksSplit: [],
      xattrsSkipped: [],
      degraded: [],
    });
    expect((await core.hashTree(dst)).rootHash).toBe((await core.hashTree(src)).rootHash);
  });

  it('clones a 200-level tree', async () => {
    await buildDeepTree(src, 200);
    await core.cloneTree(src, dst, { engine: 'copy' });
    expect((await core.hashTree(dst)).rootHash).toBe((await core.hashTree(src)).rootHash);
  });

  it('refuses a tree with a FIFO before creating anything', { timeout: 10_000 }, async () => {
    await buildContractVectorTree(src);
    addFifo(src, 'sub/pipe');
    const err = await failure(core.cloneTree(src, dst, { engine: 'copy' }));
    expect(err).toMatchObject({ code: 'E_UNSUPPORTED_FILE', path: 'sub/pipe', message: 'unsupported file type (fifo): sub/pipe' });
    expect(await exists(dst)).toBe(false);
  });

  it('removes everything it created when a file cannot be read', async () => {
    await buildDeepTree(src, 3);
    await writeFile(join(src, 'd/d/secret'), 'hidden');
    await chmod(join(src, 'd/d/secret'), 0o000);
    const err = await unprivilegedFailure('cloneTree', src, dst);
    expect(err).toMatchObject({ code: 'E_IO', errno: 'EACCES', path: 'd/d/secret' });
    expect(await exists(dst)).toBe(false);
  });

  it('refuses an existing destination and a missing source', async () => {
    await mkdir(dst);
    expect((await failure(core.cloneTree(src, dst, { engine: 'copy' }))).code).toBe('E_EXISTS');
    expect(await readdir(dst)).toEqual([]);
    expect((await failure(core.cloneTree(join(work, 'nope'), join(work, 'other'), { engine: 'copy' }))).code).toBe('E_NOT_FOUND');
    expect(await exists(join(work, 'other'))).toBe(false);
  });

  it('leaves out excluded paths, a directory with its subtree', async () => {
    await buildContractVectorTree(src);
    await writeFile(join(src, '.READY'), 'marker');
    const report = await core.cloneTree(src, dst, { engine: 'copy', exclude: ['.READY', Buffer.from('sub')] });
    expect(names(await core.walk(dst))).toEqual(['a.txt', 'link']);
    expect(report).toMatchObject({ files: 1, dirs: 0, symlinks: 1, bytes: 5 });
  });

  it('splits hard links inside the tree and says so', async () => {
    await buildHardlinksTree(src);
    const report = await core.cloneTree(src, dst, { engine: 'copy' });
    expect(report.hardlinksSplit.map(String)).toEqual(['a', 'b', 'sub/c']);
    expect(report.degraded).toEqual(['hardlink']);
    const inodes = await Promise.all(['a', 'b', 'sub/c'].map((p) => lstat(join(dst, p))));
    expect(new Set(inodes.map((s) => s.ino)).size).toBe(3);
    expect(inodes.map((s) => s.nlink)).toEqual([1, 1, 1]);
  });

  it('does not count links whose partners are outside the clone', async () => {
    await buildHardlinksTree(src);
    const report = await core.cloneTree(src, dst, { engine: 'copy', exclude: ['b', 'sub'] });
    expect(report.hardlinksSplit).toEqual([]);
    expect(report.degraded).toEqual([]);
  });

  it('falls back from reflink to copy per file where FICLONE is unsupported (ext4)', async (ctx) => {
    const reflink = (await core.probe(work)).find((p) => p.engine === 'reflink');
    if (reflink?.ok !== false) ctx.skip();
    await buildContractVectorTree(src);
    const report = await core.cloneTree(src, dst, { engine: 'reflink' });
    expect(report.requested).toBe('reflink');
    expect(report.engine).toBe('copy');
    expect(report.fallbacks.map((f) => ({ ...f, path: f.path.toString() }))).toEqual(
      ['a.txt', 'sub/b.txt'].map((path) => ({ path, from: 'reflink', to: 'copy', reason: reflink?.reason })),
    );
    expect(report.degraded).toEqual(['reflink']);
    expect((await core.hashTree(dst)).rootHash).toBe(CONTRACT_VECTOR_ROOT_HASH);
  });

  it('degrades juicefs to a byte copy, saying why', async () => {
    await buildHardlinksTree(src);
    const report = await core.cloneTree(src, dst, { engine: 'juicefs' });
    // The temporary directory is not on JuiceFS; on JuiceFS the reason is juicefs-not-available.
    expect(report).toMatchObject({ requested: 'juicefs', engine: 'copy', fallbacks: [], degraded: ['not-on-juicefs', 'hardlink'] });
  });

  it('is cancellable between files and then leaves nothing behind', async () => {
    for (let i = 0; i < 50; i++) await writeFile(join(src, `f${i}`), `file ${i}`);
    const before = new AbortController();
    before.abort();
    expect((await failure(core.cloneTree(src, dst, { engine: 'copy', signal: before.signal }))).code).toBe('E_CANCELLED');
    expect(await exists(dst)).toBe(false);

    // Abort at the first report of the clone phase: directories exist by then, files do not all.
    const during = new AbortController();
    const onProgress = (p: Progress): void => {
      if (p.phase === 'clone') during.abort();
    };
    const err = await failure(core.cloneTree(src, dst, { engine: 'copy', signal: during.signal, onProgress }));
    expect(err.code).toBe('E_CANCELLED');
    expect(await exists(dst)).toBe(false);
  });

  it('reports progress, throttled, with a final complete report', async () => {
    await buildContractVectorTree(src);
    const reports: Progress[] = [];
    await core.cloneTree(src, dst, { engine: 'copy', onProgress: (p) => reports.push(p) });
    expect(reports.length).toBeLessThanOrEqual(4);
    expect(reports.at(-1)).toEqual({ phase: 'clone', entriesDone: 5, entriesTotal: 5, bytesDone: 6, bytesTotal: 6 });
  });
});

describe('hashTree cancellation and progress', () => {
  it('rejects with E_CANCELLED', async () => {
    await buildContractVectorTree(src);
    const ac = new AbortController();
    ac.abort();
    expect((await failure(core.hashTree(src, { signal: ac.signal }))).code).toBe('E_CANCELLED');
  });

  it('ends with a complete report', async () => {
    await buildContractVectorTree(src);
    const reports: Progress[] = [];
    await core.hashTree(src, { onProgress: (p) => reports.push(p) });
    expect(reports.at(-1)).toEqual({ phase: 'hash', entriesDone: 5, entriesTotal: 5, bytesDone: 6, bytesTotal: 6 });
  });
});

describe('probe', () => {
  it('reports every engine and removes its probe files', async () => {
    const probes = await core.probe(work);
    expect(probes.map((p) => p.engine)).toEqual(['reflink', 'copy', 'juicefs']);
    expect(probes[1]).toEqual({ engine: 'copy', ok: true });
    expect(probes[2]).toMatchObject({ engine: 'juicefs', ok: false });
    expect((await readdir(work)).filter((n) => n.startsWith('.jvs-probe-'))).toEqual([]);
  });

  it('rejects a missing directory', async () => {
    expect((await failure(core.probe(join(work, 'nope')))).code).toBe('E_NOT_FOUND');
  });

  it('finds JuiceFS by the mount containing the directory, by path components', () => {
    const info = Buffer.from(
      [
        '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
        '40 27 0:50 / /mnt/jfs rw,relatime - fuse.juicefs JuiceFS:vol rw',
        '41 40 254:1 / /mnt/jfs/local rw,relatime - xfs /dev/vdb rw',
        '42 27 0:51 / /mnt/with\\040space rw - fuse.JuiceFS JuiceFS:v2 rw',
      ].join('\n'),
    );
    const on = (p: string): boolean => onJuicefsMount(info, Buffer.from(p));
    expect(on('/mnt/jfs')).toBe(true);
    expect(on('/mnt/jfs/repo')).toBe(true);
    expect(on('/mnt/jfs2/repo')).toBe(false);
    expect(on('/mnt/jfs/local/repo')).toBe(false);
    expect(on('/mnt/with space/repo')).toBe(true);
    expect(on('/home/repo')).toBe(false);
  });
});

const juicefs = fsTarget('juicefs');

describe.each([fsTarget('xfs'), fsTarget('btrfs')])('on $name', (target) => {
  it.skipIf(target.dir === undefined)('reflinks every file, with nothing degraded', async () => {
    const base = await freshDir(target, 'fallback-reflink');
    try {
      const from = join(base, 'src');
      await mkdir(from);
      await buildContractVectorTree(from);
      await buildModesTree(join(from, 'sub/empty'));
      expect((await core.probe(base)).find((p) => p.engine === 'reflink')).toEqual({ engine: 'reflink', ok: true });
      const report = await core.cloneTree(from, join(base, 'dst'), { engine: 'reflink' });
      expect(report).toMatchObject({ requested: 'reflink', engine: 'reflink', fallbacks: [], degraded: [] });
      expect((await core.hashTree(join(base, 'dst'))).rootHash).toBe((await core.hashTree(from)).rootHash);
    } finally {
      await removeTree(base);
    }
  });
});

describe.skipIf(juicefs.dir === undefined)('on JuiceFS', () => {
  it('knows it is on JuiceFS but cannot clone there', async () => {
    const base = await freshDir(juicefs, 'fallback-juicefs');
    try {
      const from = join(base, 'src');
      await mkdir(from);
      await buildContractVectorTree(from);
      expect((await core.probe(base)).find((p) => p.engine === 'juicefs')).toEqual({
        engine: 'juicefs',
        ok: false,
        reason: 'fallback cannot speak the JuiceFS protocol',
      });
      const report = await core.cloneTree(from, join(base, 'dst'), { engine: 'juicefs' });
      expect(report).toMatchObject({ requested: 'juicefs', engine: 'copy', fallbacks: [], degraded: ['juicefs-not-available'] });
      expect((await core.hashTree(join(base, 'dst'))).rootHash).toBe(CONTRACT_VECTOR_ROOT_HASH);
    } finally {
      await removeTree(base);
    }
  });
});
