/** Random trees and random edits of them, from a seed (so a failing case can be replayed). */
import { chmod, lstat, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
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

/** One random edit of the tree under `dir`. */
export async function edit(dir: string, r: () => number): Promise<void> {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
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

