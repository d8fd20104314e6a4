/**
 * The Rust core through its binding and the TypeScript facade: loading and version checks,
 * results, errors as Error objects with code/errno/path, progress, cancellation, raw names.
 * Cloning is covered by parity.test.ts and clone.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { coreInfo, getCore, isCoreError, type CoreError, type Progress } from '../../src/native/index.js';
import { platformTag } from '../../src/native/loader.js';
import { payloadRootHash } from '../../src/index.js';
import {
  CONTRACT_VECTOR_LINES,
  CONTRACT_VECTOR_ROOT_HASH,
  EMPTY_TREE_ROOT_HASH,
  NON_UTF8,
  addFifo,
  buildContractVectorTree,
  buildNonUtf8NamesTree,
  under,
} from './fixtures.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const fixtureTar = join(repoRoot, '..', 'shared', 'fixtures', 'upstream-v8.2-demo.tar');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jvs-native-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCoreError(p: Promise<unknown>): Promise<CoreError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCoreError(err), `expected a CoreError, got ${String(err)}`).toBe(true);
  return err as CoreError;
}

describe('loader', () => {
  // The test run is meant to exercise the native side: a silent fallback would hide a broken build.
  it('loads the native module unless JVS_NATIVE=0', () => {
    const info = coreInfo();
    if (process.env['JVS_NATIVE'] === '0') {
      expect(info.kind).toBe('fallback');
    } else {
      expect(info.rejected).toEqual([]);
      expect(info.kind).toBe('native');
      expect(getCore().version).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it("names this platform's build as napi-rs does (libc told from ldd, as a process report tells it)", () => {
    if (process.platform !== 'linux') return;
    const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
    expect(platformTag()).toBe(`linux-${process.arch}-${report.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`);
  });

  function withoutNativeVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const { JVS_NATIVE: _n, JVS_NATIVE_LIBRARY: _l, ...rest } = env;
    return rest;
  }

  function runChild(env: Record<string, string>, code: string): { status: number | null; out: string; err: string } {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: repoRoot,
      // The child decides for itself: the parent's JVS_NATIVE must not leak into it.
      env: { ...withoutNativeVars(process.env), ...env },
      encoding: 'utf8',
    });
    return { status: r.status, out: r.stdout.trim(), err: r.stderr };
  }
  const printKind = `import { coreInfo } from './src/native/index.ts'; console.log(JSON.stringify(coreInfo()));`;

  it('JVS_NATIVE=0 forces the fallback', () => {
    const r = runChild({ JVS_NATIVE: '0' }, printKind);
    expect(r.status, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ kind: 'fallback', rejected: ['JVS_NATIVE=0'] });
  });

  it('JVS_NATIVE=1 with an unloadable module fails with the reason instead of falling back', async () => {
    const bogus = join(dir, 'bogus.node');
    await writeFile(bogus, 'not a shared object');
    const hide = { JVS_NATIVE_LIBRARY: bogus };
    const forced = runChild({ ...hide, JVS_NATIVE: '1' }, printKind);
    expect(forced.status).not.toBe(0);
    expect(forced.err).toContain('JVS_NATIVE=1 but the native module cannot be loaded');
    expect(forced.err).toContain(bogus);
    // Without JVS_NATIVE the rejection is recorded and the fallback takes over.
    const auto = runChild(hide, printKind);
    expect(auto.status, auto.err).toBe(0);
    const info = JSON.parse(auto.out) as { kind: string; rejected: string[] };
    expect(info.kind).toBe('fallback');
    expect(info.rejected[0]).toContain(bogus);
  });
});

describe('payload root hash', () => {
  it('reproduces the contract vector, records in line order', async () => {
    await buildContractVectorTree(dir);
    const r = await getCore().hashTree(dir, { records: true });
    expect(r.rootHash).toBe(CONTRACT_VECTOR_ROOT_HASH);
    expect(r.count).toBe(5);
    expect(r.bytes).toBe(6);
    const lines = r.records!.map((rec) => {
      const meta = rec.kind === 'file' ? `mode=0${rec.perm.toString(8)},size=${rec.size}` : `mode=0${rec.perm.toString(8)}`;
      return `${rec.kind}:${rec.path.toString()}:${meta}:${rec.hash}`;
    });
    expect(lines).toEqual(CONTRACT_VECTOR_LINES);
  });

  it('hashes an empty tree to the SHA-256 of nothing', async () => {
    expect((await payloadRootHash(dir)).hash).toBe(EMPTY_TREE_ROOT_HASH);
  });

  it('recomputes every snapshot of the v8.2 fixture to its descriptor', async () => {
    execFileSync('tar', ['-xf', fixtureTar, '-C', dir]);
    const repo = join(dir, 'demo', '.jvs');
    const ids = (await readdir(join(repo, 'descriptors'))).map((f) => f.replace(/\.json$/, ''));
    expect(ids).toHaveLength(4);
    for (const id of ids) {
      const desc = JSON.parse(await readFile(join(repo, 'descriptors', `${id}.json`), 'utf8')) as { payload_root_hash: string };
      const got = await payloadRootHash(join(repo, 'snapshots', id));
      expect(got.hash, id).toBe(desc.payload_root_hash);
    }
  });

  it('keeps non-UTF-8 names as raw bytes', async () => {
    await buildNonUtf8NamesTree(dir);
    const entries = await getCore().walk(dir);
    const names = entries.map((e) => e.path.toString('hex'));
    const slash = Buffer.from('/');
    const expected = [
      NON_UTF8.ff,
      NON_UTF8.fe,
      NON_UTF8.dir,
      Buffer.concat([NON_UTF8.dir, slash, NON_UTF8.latin1]),
      Buffer.concat([Buffer.from('link-'), NON_UTF8.fe]),
    ].map((b) => b.toString('hex'));
    expect([...names].sort()).toEqual([...expected].sort());
    const link = entries.find((e) => e.kind === 'symlink')!;
    expect(link.target!.equals(NON_UTF8.ff)).toBe(true);
    // The root hash is assembled from the raw bytes: recompute it from the records.
    const r = await getCore().hashTree(dir, { records: true });
    const lines = r.records!.map((rec) => {
      const meta = rec.kind === 'file' ? `mode=0${rec.perm.toString(8)},size=${rec.size}` : `mode=0${rec.perm.toString(8)}`;
      return Buffer.concat([Buffer.from(`${rec.kind}:`), rec.path, Buffer.from(`:${meta}:${rec.hash}\n`)]);
    });
    lines.sort(Buffer.compare);
    expect(createHash('sha256').update(Buffer.concat(lines)).digest('hex')).toBe(r.rootHash);
  });
});

describe('errors', () => {
  it('a missing root is E_NOT_FOUND with errno and path', async () => {
    const missing = join(dir, 'nope');
    const err = await expectCoreError(getCore().hashTree(missing));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.errno).toBe('ENOENT');
    expect(err.path).toBe(missing);
    expect(err.stack).toContain('native.test.ts');
  });

  it('a FIFO is E_UNSUPPORTED_FILE naming the relative path, without hanging', async () => {
    await writeFile(join(dir, 'a'), 'a');
    addFifo(dir, 'pipe');
    const err = await expectCoreError(getCore().hashTree(dir));
    expect(err.code).toBe('E_UNSUPPORTED_FILE');
    expect(err.path).toBe('pipe');
    expect(err.message).toBe('unsupported file type (fifo): pipe');
  });
});

describe('progress and cancellation', () => {
  async function manyFiles(n: number): Promise<void> {
    await Promise.all(Array.from({ length: n }, (_, i) => writeFile(under(dir, `f${i}`), 'x'.repeat(1024))));
  }

  it('reports progress ending with complete totals', async () => {
    await manyFiles(2000);
    const events: Progress[] = [];
    await getCore().hashTree(dir, { onProgress: (p) => events.push(p) });
    expect(events.length).toBeGreaterThan(0);
    const last = events.at(-1)!;
    expect(last).toEqual({ phase: 'hash', entriesDone: 2000, entriesTotal: 2000, bytesDone: 2000 * 1024, bytesTotal: 2000 * 1024 });
  });

  it('an aborted signal rejects with E_CANCELLED', async () => {
    await manyFiles(200);
    const ac = new AbortController();
    ac.abort();
    const err = await expectCoreError(getCore().hashTree(dir, { signal: ac.signal }));
    expect(err.code).toBe('E_CANCELLED');
  });

  it('aborting in the middle of a large file stops it', async () => {
    // 8 GiB of sparse zeros takes seconds to hash; the first progress tick comes at ~100 ms.
    const size = 8 * 1024 ** 3;
    await truncate(await writeFile(join(dir, 'big'), '').then(() => join(dir, 'big')), size);
    const ac = new AbortController();
    let bytesAtAbort = -1;
    const err = await expectCoreError(
      getCore().hashTree(dir, {
        signal: ac.signal,
        onProgress: (ev) => {
          if (ev.phase !== 'hash') return;
          if (bytesAtAbort < 0) bytesAtAbort = ev.bytesDone;
          ac.abort();
        },
      }),
    );
    expect(err.code).toBe('E_CANCELLED');
    expect(bytesAtAbort).toBeGreaterThanOrEqual(0);
    expect(bytesAtAbort).toBeLessThan(size);
  });
});
