/**
 * How wide the racy window of a worktree's stat cache is (git's "racy clean" rule): a file
 * seen at some moment can be written again within the same timestamp tick, leaving its stat
 * identity unchanged, so identities of entries modified (mtime or ctime) too close to the moment
 * they were taken are not trusted.
 *
 * The window must cover how far a file's timestamp can fall behind the moment of the write
 * that set it. Local Linux file systems stamp files from the kernel's coarse clock — at most a
 * tick (1/HZ ≤ 10 ms) behind real time — at nanosecond granularity: 100 ms is ten ticks, and
 * keeps the window from costing a re-read of everything written in the two seconds before a
 * first snapshot (a dataset just copied in, a checkout). Anything else — a file system whose
 * timestamps are coarser (ext4 with 128-byte inodes keeps seconds), FUSE (JuiceFS stamps with
 * its clients' clocks), network file systems, other platforms — keeps the 2 s window. Only
 * ctime matters for soundness (it cannot be set by users), and the check is on both.
 *
 * Decision: granularity is read off the worktree root's ctime — a file system that keeps
 * seconds shows no nanoseconds; one that keeps nanoseconds shows none only once in 10⁹, and
 * then merely falls back to the wide window.
 */
import { lstat, statfs } from 'node:fs/promises';

/** The window where nothing better is known. */
export const RACY_NS = 2_000_000_000n;

/** The window on a local file system stamped by the kernel clock at nanosecond granularity. */
export const FINE_RACY_NS = 100_000_000n;

/** statfs f_type of local Linux file systems stamped from the kernel clock. */
const KERNEL_STAMPED = new Set([
  0xef53, // ext2/3/4
  0x58465342, // XFS
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0xf2f52010, // F2FS
  0xca451a4e, // bcachefs
]);

/** The racy window of a Linux file system of statfs type `fsType` whose root shows `ctimeNs`. */
export function racyWindowOf(fsType: number, ctimeNs: bigint): bigint {
  return KERNEL_STAMPED.has(fsType) && ctimeNs % 1_000_000_000n !== 0n ? FINE_RACY_NS : RACY_NS;
}

/** The racy window for identities taken in the tree at `root` (RACY_NS when it cannot be told). */
export async function racyWindowNs(root: string): Promise<bigint> {
  if (process.platform !== 'linux') return RACY_NS;
  const [fs, st] = await Promise.all([statfs(root), lstat(root, { bigint: true })]).catch(() => [undefined, undefined]);
  return fs && st ? racyWindowOf(fs.type, st.ctimeNs) : RACY_NS;
}
