import { lstat } from 'node:fs/promises';

/** Whether anything (of any type, a dangling symlink included) is at `p`. */
export async function pathExists(p: string | Buffer): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
