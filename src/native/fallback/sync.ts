/**
 * fsync of a materialized tree, as the native sync_tree does: every regular file, then every
 * directory (so their entries are durable after their contents), then the root. Symlinks are
 * never opened.
 */
import { open } from 'node:fs/promises';

import { ioError } from './errors.js';
import { FILES_IN_FLIGHT, forEachLimited } from './pool.js';
import { childPath, walkTree } from './walk.js';
import type { WalkEntry } from '../types.js';

async function fsyncOne(abs: Buffer | string, rel: Buffer | string): Promise<void> {
  let fh;
  try {
    fh = await open(abs, 'r');
    await fh.sync();
  } catch (e) {
    throw ioError(e, 'fsync', rel);
  } finally {
    await fh?.close();
  }
}

export async function syncTree(root: string): Promise<number> {
  const entries = await walkTree(root);
  const base = Buffer.from(root);
  const each = (list: WalkEntry[]): Promise<void> =>
    forEachLimited(list, FILES_IN_FLIGHT, undefined, (e) => fsyncOne(childPath(base, e.path), e.path));
  await each(entries.filter((e) => e.kind === 'file'));
  await each(entries.filter((e) => e.kind === 'dir'));
  await fsyncOne(root, root);
  return entries.length;
}
