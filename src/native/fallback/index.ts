/*
 * The pure-TypeScript implementation of the native core interface: what JVS runs on when the
 * Rust module cannot load (or JVS_NATIVE=0). Same results as the native side, byte for byte in
 * hashes and walks; slower, and with the limits documented in walk.ts and clone.ts.
 */
import { packageVersion } from '../package-info.js';
import type { NativeCore } from '../types.js';
import { cloneTree, materializeEntries } from './clone.js';
import { crc32 } from './crc32.js';
import { hashPaths, hashTree } from './hash.js';
import { probe } from './probe.js';
import { hashTreeIndex, scanWorktree, summarizeIndex, vouchIndex } from './scan.js';
import { createSubvolume, deleteSubvolume, isSubvolume, setSubvolumeReadonly, snapshotSubvolume } from './subvolume.js';
import { syncTree } from './sync.js';
import { walkTree } from './walk.js';

export function createFallbackCore(): NativeCore {
  return {
    kind: 'fallback',
    version: packageVersion,
    // Only the public options: the walk's internal hooks are not part of the interface.
    walk: (root, opts) => walkTree(root, { onProgress: opts?.onProgress, signal: opts?.signal }),
    hashTree,
    hashPaths,
    scanWorktree,
    // btrfs's change search is an ioctl Node cannot make: callers scan whole.
    scanSnapshotSince: async () => null,
    summarizeIndex,
    crc32,
    hashTreeIndex,
    vouchIndex,
    cloneTree,
    materializeEntries,
    probe,
    syncTree,
    isSubvolume,
    createSubvolume,
    snapshotSubvolume,
    setSubvolumeReadonly,
    deleteSubvolume,
    // Node has no flock(2). The fallback cannot exclude other appenders; callers see it in
    // `enforced` (the audit log then relies on single O_APPEND writes, and a concurrent append
    // can fork the hash chain, which verify reports).
    lockExclusive: async () => ({ unlock: () => undefined, enforced: false }),
  };
}
