/**
 * btrfs subvolumes in the fallback: Node has no ioctl, so nothing is ever a subvolume here and
 * every other call fails with EOPNOTSUPP — the btrfs-snapshot engine is then never selected,
 * and worktrees are plain directories.
 */
import { lstat } from 'node:fs/promises';

import { JvsCoreError, ioError } from './errors.js';

export async function isSubvolume(path: string): Promise<boolean> {
  try {
    await lstat(path);
  } catch (err) {
    throw ioError(err, 'stat', path);
  }
  return false;
}

function unsupported(op: string, path: string): Promise<never> {
  return Promise.reject(new JvsCoreError('E_IO', `${op} ${path}: btrfs subvolumes need the native module`, { errno: 'EOPNOTSUPP', path }));
}

export const createSubvolume = (path: string): Promise<void> => unsupported('create subvolume', path);
export const snapshotSubvolume = (_src: string, dst: string): Promise<void> => unsupported('snapshot subvolume', dst);
export const setSubvolumeReadonly = (path: string): Promise<void> => unsupported('set read-only flag of', path);
export const deleteSubvolume = (path: string): Promise<void> => unsupported('delete subvolume', path);
