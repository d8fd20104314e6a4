import { mkdir, mkdtemp, readdir, rm, writeFile, chmod, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dropManifest, loadManifest, pointerPath, recordsAt, sweepObjects, writeManifest } from '../../src/manifest/store.js';
import { getCore } from '../../src/native/index.js';
import { RepoLayout } from '../../src/repo/layout.js';
import { buildAwkwardNamesTree, buildNonUtf8NamesTree } from '../native/fixtures.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-manifest-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function scratch(): Promise<{ layout: RepoLayout; dir: string }> {
  const root = join(tmp, `r${n++}`);
  const dir = join(root, 'payload');
  await mkdir(dir, { recursive: true });
  return { layout: new RepoLayout(root), dir };
}

async function countObjects(layout: RepoLayout): Promise<number> {
  const base = join(layout.manifestsDir, 'objects');
  let total = 0;
  for (const d of await readdir(base)) total += (await readdir(join(base, d))).length;
  return total;
}

describe('manifest store', () => {
  it.each([
    ['awkward names', buildAwkwardNamesTree],
    ['non-UTF-8 names', buildNonUtf8NamesTree],
  ])('round-trips the records of %s and reproduces the root hash', async (_n, build) => {
    const { layout, dir } = await scratch();
    await build(dir);
    const h = await getCore().hashTree(dir, { records: true });
    await writeManifest(layout, 'snap', h.records!, h.rootHash);
    const loaded = await loadManifest(layout, 'snap', h.rootHash);
    expect(loaded).toBeDefined();
    const key = (r: { path: Buffer; kind: string }): string => `${r.kind}:${r.path.toString('hex')}`;
    const sorted = (rs: typeof h.records): unknown[] =>
      [...rs!].sort((a, b) => key(a).localeCompare(key(b))).map((r) => ({ ...r, path: r.path.toString('hex'), target: r.target?.toString('hex') }));
    expect(sorted(loaded!.records)).toEqual(sorted(h.records));
  });

  it('every v8.2 fixture snapshot (including a .READY directory case) round-trips', async () => {
    const repo = extractFixture(await mkdtemp(join(tmp, 'fx-')));
    const layout = new RepoLayout(repo);
    for (const id of Object.values(FIXTURE_IDS)) {
      const h = await getCore().hashTree(layout.snapshotDir(id), { records: true });
      await writeManifest(layout, id, h.records!, h.rootHash);
      expect((await loadManifest(layout, id, h.rootHash))?.records.length, id).toBe(h.count);
    }
    const { layout: l2, dir } = await scratch();
    await mkdir(join(dir, 'd', '.READY'), { recursive: true });
    await writeFile(join(dir, 'd', '.READY', 'inner'), 'i');
    await writeFile(join(dir, '.READY'), '{}');
    const h = await getCore().hashTree(dir, { records: true });
    await writeManifest(l2, 's', h.records!, h.rootHash);
    expect((await loadManifest(l2, 's', h.rootHash))?.records.map((r) => r.path.toString()).sort()).toEqual(['d', 'd/.READY/inner']);
  });

  it('shares unchanged directories: one change adds only the objects on its path', async () => {
    const { layout, dir } = await scratch();
    for (let d = 0; d < 20; d++) {
      await mkdir(join(dir, `dir${d}`, 'sub'), { recursive: true });
      for (let f = 0; f < 5; f++) await writeFile(join(dir, `dir${d}`, 'sub', `f${f}`), `${d}/${f}`);
    }
    const first = await getCore().hashTree(dir, { records: true });
    const w1 = await writeManifest(layout, 'a', first.records!, first.rootHash);
    expect(w1.objectsWritten).toBe(41);
    await writeFile(join(dir, 'dir7', 'sub', 'f3'), 'changed');
    const second = await getCore().hashTree(dir, { records: true });
    const w2 = await writeManifest(layout, 'b', second.records!, second.rootHash);
    expect(w2.objectsWritten).toBe(3); // dir7/sub, dir7, root
    expect(await countObjects(layout)).toBe(44);
    expect(await loadManifest(layout, 'a', first.rootHash)).toBeDefined();
  });

  it('a damaged or mismatching manifest is treated as absent', async () => {
    const { layout, dir } = await scratch();
    await writeFile(join(dir, 'f'), 'x');
    await chmod(join(dir, 'f'), 0o600);
    await symlink('f', join(dir, 'l'));
    const h = await getCore().hashTree(dir, { records: true });
    const { root } = await writeManifest(layout, 's', h.records!, h.rootHash);
    expect(await loadManifest(layout, 's', 'f'.repeat(64))).toBeUndefined();
    expect(await loadManifest(layout, 'missing', h.rootHash)).toBeUndefined();
    await writeFile(join(layout.manifestsDir, 'objects', root.slice(0, 2), root.slice(2)), 'JVST1\ngarbage');
    expect(await loadManifest(layout, 's', h.rootHash)).toBeUndefined();
  });

  it('records at given paths equal the full manifest\'s, reading only along those paths', async () => {
    const { layout, dir } = await scratch();
    await buildAwkwardNamesTree(dir);
    await mkdir(join(dir, 'd', '.READY'), { recursive: true });
    await writeFile(join(dir, 'd', '.READY', 'inner'), 'i');
    const h = await getCore().hashTree(dir, { records: true });
    await writeManifest(layout, 's', h.records!, h.rootHash);
    const all = h.records!;
    const missing = [Buffer.from('no/such'), Buffer.from(`${all.find((r) => r.kind === 'file')!.path.toString('latin1')}/below-a-file`, 'latin1')];
    const asked = [...all.map((r) => r.path), Buffer.from('d/.READY/inner'), ...missing];
    const found = await recordsAt(layout, 's', h.rootHash, asked);
    expect(found).toBeDefined();
    for (const r of all) expect(found!.get(r.path.toString('latin1')), r.path.toString()).toEqual(r);
    expect(found!.has('d/.READY')).toBe(false);
    for (const m of missing) expect(found!.has(m.toString('latin1'))).toBe(false);
    expect(await recordsAt(layout, 's', 'f'.repeat(64), asked)).toBeUndefined();
  });

  it('a pointer is trusted by default; the full check also binds its tree to the payload hash', async () => {
    // The decision of store.ts ManifestCheck: objects are always checked against their ids, the
    // pointer's root-to-hash binding only by `full` (verify, doctor). A forged binding shows it.
    const { layout, dir } = await scratch();
    await writeFile(join(dir, 'f'), 'x');
    const a = await getCore().hashTree(dir, { records: true });
    await writeManifest(layout, 'a', a.records!, a.rootHash);
    await writeFile(join(dir, 'g'), 'y');
    const b = await getCore().hashTree(dir, { records: true });
    const { root: rootB } = await writeManifest(layout, 'b', b.records!, b.rootHash);
    await writeFile(pointerPath(layout, 'a'), `${rootB} ${a.rootHash}\n`);
    expect((await loadManifest(layout, 'a', a.rootHash))?.records).toHaveLength(2);
    expect(await loadManifest(layout, 'a', a.rootHash, 'full')).toBeUndefined();
    expect((await loadManifest(layout, 'b', b.rootHash, 'full'))?.records).toHaveLength(2);
  });

  it('sweeps objects no snapshot reaches, keeping shared ones', async () => {
    const { layout, dir } = await scratch();
    for (let d = 0; d < 5; d++) await writeFile(join(dir, `f${d}`), `${d}`);
    await mkdir(join(dir, 'shared'));
    await writeFile(join(dir, 'shared', 'x'), 'x');
    const a = await getCore().hashTree(dir, { records: true });
    await writeManifest(layout, 'a', a.records!, a.rootHash);
    await writeFile(join(dir, 'f0'), 'changed');
    const b = await getCore().hashTree(dir, { records: true });
    await writeManifest(layout, 'b', b.records!, b.rootHash);
    expect(await countObjects(layout)).toBe(3); // root a, root b, shared
    expect(await sweepObjects(layout)).toBe(0);
    await dropManifest(layout, 'a');
    expect(await sweepObjects(layout)).toBe(1);
    expect(await countObjects(layout)).toBe(2);
    expect(await loadManifest(layout, 'b', b.rootHash)).toBeDefined();
  });

  it('sorts the bare lines (§4 step 4), also when one line extends another with a byte below newline', async () => {
    const { layout, dir } = await scratch();
    await writeFile(join(dir, 'a'), 'x');
    await chmod(join(dir, 'a'), 0o644);
    // A name that makes its line start with the whole line of `a`, followed by \x01.
    const hashOfX = '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';
    await writeFile(Buffer.from(`${dir}/a:mode=0644,size=1:${hashOfX}\x01z`), 'y');
    const h = await getCore().hashTree(dir, { records: true });
    await writeManifest(layout, 's', h.records!, h.rootHash);
    expect(await loadManifest(layout, 's', h.rootHash)).toBeDefined();
  });
});
