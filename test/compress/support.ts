/** Helpers for the compression tests: exact tree comparison and a hand-made v8.2 layout. */
import { lstat, readFile, readlink, rm, stat, writeFile, chmod, unlink } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

import { readDescriptor, sealDescriptor, writeDescriptor } from '../../src/formats/descriptor.js';
import { RepoLayout } from '../../src/repo/layout.js';
import { getCore } from '../../src/native/index.js';

/**
 * Everything a logical comparison looks at, per path: type, mode bits, bytes or target, and
 * with `mtimes` files' mtimes in microseconds (what Node can set).
 */
export async function treeState(root: string, opts: { mtimes?: boolean } = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await getCore().walk(root)) {
    if (e.path.equals(Buffer.from('.READY'))) continue;
    const abs = Buffer.concat([Buffer.from(`${root}/`), e.path]);
    let what = `${e.kind} ${(e.mode & 0o7777).toString(8)}`;
    if (e.kind === 'file') what += ` ${(await readFile(abs)).toString('base64')}`;
    if (e.kind === 'symlink') what += ` -> ${(await readlink(abs, { encoding: 'buffer' })).toString('hex')}`;
    if (opts.mtimes && e.kind === 'file') what += ` @${e.mtimeNs / 1000n}`;
    out.set(e.path.toString('hex'), what);
  }
  return out;
}

const GZ = Buffer.from('.gz');

/**
 * Rewrites published snapshot `id` of the repository at `root` the way v8.2's compression left
 * it (CONTRACT §3.9): every non-directory entry whose name does not end in `.gz` — `.READY` and
 * symlinks (read through the link) included — replaced by `<name>.gz`, gzip, mode 0600; the
 * descriptor gets `compression` and a new checksum; our manifest of it is dropped (v8.2 has none).
 */
export async function toV82Layout(root: string, id: string, level = 6): Promise<void> {
  const layout = new RepoLayout(root);
  const dir = layout.snapshotDir(id);
  const entries = (await getCore().walk(dir)).filter((e) => e.kind !== 'dir' && !e.path.subarray(-GZ.length).equals(GZ));
  const abs = (rel: Buffer): Buffer => Buffer.concat([Buffer.from(`${dir}/`), rel]);
  // Everything is read (symlinks through the link) before anything is replaced.
  const contents = await Promise.all(entries.map((e) => readFile(abs(e.path))));
  for (const [i, e] of entries.entries()) {
    const gz = Buffer.concat([abs(e.path), GZ]);
    await writeFile(gz, gzipSync(contents[i]!, { level }), { mode: 0o600 });
    await chmod(gz, 0o600);
    await unlink(abs(e.path));
  }
  const d = await readDescriptor(layout.descriptor(id));
  await writeDescriptor(layout.descriptor(id), sealDescriptor({ ...d, compression: { type: 'gzip', level } }));
  await rm(`${layout.manifestsDir}/snapshots/${id}`, { force: true });
}

export async function isFile(p: string | Buffer): Promise<boolean> {
  return lstat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function modeOf(p: string | Buffer): Promise<number> {
  return (await stat(p)).mode & 0o7777;
}
