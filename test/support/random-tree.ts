/** Random trees and random edits of them, from a seed (so a failing case can be replayed). */
import { chmod, link, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'a-b', 'a.b', 'c d', 'x'];

/** Every path under dir (relative), directories included. */
async function listAll(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix)).catch(() => [])).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    out.push(rel);
    if ((await lstat(join(dir, rel))).isDirectory()) out.push(...(await listAll(dir, rel)));
  }
  return out;
}

/**
 * One random edit of the tree under `dir`. With `moves`, one edit in three instead moves an
 * entry (a directory with what it holds, or a file over another), swaps two directories, or
 * hard-links a file: the edits that keep inodes and change their paths.
 */
export async function edit(dir: string, r: () => number, opts: { moves?: boolean } = {}): Promise<void> {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (opts.moves && r() < 1 / 3 && (await move(dir, r, pick))) return;
  const all = await listAll(dir);
  const existing = all.length > 0 && r() < 0.7 ? pick(all) : undefined;
  const parentDirs = [''];
  for (const p of all) if ((await lstat(join(dir, p))).isDirectory()) parentDirs.push(p);
  const fresh = join(pick(parentDirs), pick(NAMES)).replace(/^\//, '');
  const p = existing ?? fresh;
  const abs = join(dir, p);
  const st = await lstat(abs).catch(() => undefined);
  const op = Math.floor(r() * 8);
  if (st && op === 0) await rm(abs, { recursive: true, force: true });
  else if (st?.isFile() && op === 1) await writeFile(abs, `${p}:${Math.floor(r() * 3)}`.padEnd(8, '.').slice(0, 8)); // same size, maybe same content
  else if (st?.isFile() && op === 2) await writeFile(abs, `longer content of ${p} ${r()}`);
  else if (st && !st.isSymbolicLink() && op === 3) await chmod(abs, pick([0o600, 0o644, 0o755, 0o700]));
  else if (st && op === 4) {
    await rm(abs, { recursive: true, force: true });
    await symlink(pick(['a', '../x', 'nowhere']), abs);
  } else if (st && op === 5) {
    await rm(abs, { recursive: true, force: true });
    await mkdir(join(abs, 'sub'), { recursive: true });
    await writeFile(join(abs, 'sub', 'f'), `in ${p}`);
  } else if (!st) {
    if (r() < 0.3) await mkdir(abs, { recursive: true });
    else await writeFile(abs, `new ${p}`.padEnd(8, '.').slice(0, 8));
  } else if (st.isFile()) await writeFile(abs, `${p}`.padEnd(8, '#').slice(0, 8));
}


/** A move, swap or hard link of entries under `dir`; false when the tree offers none. */
async function move(dir: string, r: () => number, pick: <T>(xs: readonly T[]) => T): Promise<boolean> {
  const all = await listAll(dir);
  if (all.length === 0) return false;
  const kinds = await Promise.all(all.map(async (p) => ({ p, st: await lstat(join(dir, p)) })));
  const dirs = kinds.filter((k) => k.st.isDirectory()).map((k) => k.p);
  const files = kinds.filter((k) => k.st.isFile()).map((k) => k.p);
  const from = pick(all);
  const into = pick(['', ...dirs.filter((d) => d !== from && !d.startsWith(`${from}/`))]);
  const to = join(into, pick(NAMES)).replace(/^\//, '');
  const op = Math.floor(r() * 3);
  if (op === 0 && files.length > 0) {
    // A hard link to a file, at a free name.
    if (await lstat(join(dir, to)).then(() => true, () => false)) return false;
    await link(join(dir, pick(files)), join(dir, to));
  } else if (op === 1 && dirs.length >= 2) {
    // Two directories trade places (neither inside the other).
    const a = pick(dirs);
    const b = pick(dirs.filter((d) => !d.startsWith(`${a}/`) && !a.startsWith(`${d}/`) && d !== a));
    if (b === undefined) return false;
    await rename(join(dir, a), join(dir, `${a}.swap`));
    await rename(join(dir, b), join(dir, a));
    await rename(join(dir, `${a}.swap`), join(dir, b));
  } else {
    // Whatever is at `to` goes (a directory first emptied), then `from` takes its name.
    if (to === from || to.startsWith(`${from}/`) || from.startsWith(`${to}/`)) return false;
    await rm(join(dir, to), { recursive: true, force: true });
    await rename(join(dir, from), join(dir, to));
  }
  return true;
}
