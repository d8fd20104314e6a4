import { spawnSync } from 'node:child_process';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { pathExists } from '../../src/fs/exists.js';
import { tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('rmtree');
  await chmod(tmp, 0o755);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const repoRoot = join(import.meta.dirname, '..', '..');
/** Root may unlink anywhere: the permission problem only shows for an ordinary owner. */
const NOBODY = 65534;
const asOwner = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

/** A snapshot-like tree whose directories deny their owner write or search permission. */
async function lockedTree(name: string): Promise<string> {
  // The owner's own directory holds the tree, so that removing the tree's root is allowed.
  const home = join(tmp, name);
  await mkdir(home);
  const root = join(home, 'tree');
  const names = [Buffer.from('plain'), Buffer.from([0x66, 0xff, 0x2e, 0x74])]; // one not UTF-8
  for (const dir of [root, join(root, 'ro'), join(root, 'ro/inner'), join(root, 'none')]) {
    await mkdir(dir);
    for (const f of names) await writeFile(Buffer.concat([Buffer.from(`${dir}/`), f]), 'x');
  }
  const dirs: [string, number][] = [
    [join(root, 'ro/inner'), 0o555],
    [join(root, 'ro'), 0o500],
    [join(root, 'none'), 0o000],
  ];
  if ('uid' in asOwner) {
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, home]);
  }
  for (const [d, mode] of dirs) await chmod(d, mode);
  return root;
}

function runAsOwner(code: string, path: string): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, path], {
    cwd: repoRoot,
    env: { ...process.env, HOME: tmp },
    encoding: 'utf8',
    ...asOwner,
  });
}

it('removes trees with read-only and unsearchable directories, as their owner', async () => {
  const plainRm = runAsOwner(`import { rm } from 'node:fs/promises'; await rm(process.argv[1], { recursive: true, force: true });`, await lockedTree('a'));
  expect(plainRm.status, 'a plain recursive rm fails on such a tree').not.toBe(0);
  expect(plainRm.stderr).toMatch(/EACCES/);

  const root = await lockedTree('b');
  const r = runAsOwner(`import { removeTree } from './src/gc/remove-tree.ts'; await removeTree(process.argv[1]);`, root);
  expect(r.status, String(r.stderr)).toBe(0);
  expect(await pathExists(root)).toBe(false);
});

it('accepts a missing path', async () => {
  const r = runAsOwner(`import { removeTree } from './src/gc/remove-tree.ts'; await removeTree(process.argv[1]);`, join(tmp, 'missing'));
  expect(r.status, String(r.stderr)).toBe(0);
});
