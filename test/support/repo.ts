/** Helpers to build repositories and worktree content for library tests. */
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { Repository } from '../../src/index.js';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `jvs-${prefix}-`));
}

/** A fresh repository with warnings collected. */
export async function freshRepo(parent: string, name = 'repo'): Promise<{ repo: Repository; root: string; warnings: string[] }> {
  const warnings: string[] = [];
  const root = join(parent, name);
  const { repository } = await Repository.init(root, { onWarning: (w) => warnings.push(w), env: {} });
  return { repo: repository, root, warnings };
}

/** Writes files (string content) and symlinks (`{ link: target }`) under dir, with modes. */
export async function writeTree(dir: string, spec: Record<string, string | { link: string } | { mode: number; data: string }>): Promise<void> {
  for (const [rel, v] of Object.entries(spec)) {
    const p = join(dir, rel);
    await mkdir(dirname(p), { recursive: true });
    if (typeof v === 'string') await writeFile(p, v);
    else if ('link' in v) await symlink(v.link, p);
    else {
      await writeFile(p, v.data);
      await chmod(p, v.mode);
    }
  }
}
