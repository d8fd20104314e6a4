/**
 * The interface of the native core, implemented twice: by the Rust module (crates/jvs-napi over
 * crates/jvs-core) and by the pure-TypeScript fallback (src/native/fallback/). Everything outside
 * src/native/ depends only on this file and on src/native/index.ts.
 *
 * Names are bytes: every path that comes back from the core is a Buffer holding the raw name
 * bytes, relative to the root that was walked, `/`-separated. Strings passed in (roots,
 * destinations) are ordinary paths.
 */

/** Entry type as lstat reports it. Special files are reported, never opened. */
export type EntryKind = 'dir' | 'file' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

/** One walked entry: lstat data, symlinks never followed. */
export interface WalkEntry {
  /** Raw name bytes relative to the walked root, `/`-separated. Never empty (the root itself is not listed). */
  path: Buffer;
  kind: EntryKind;
  /** Full st_mode (type bits included). */
  mode: number;
  size: number;
  /** Nanoseconds since the epoch; bigint because ns times exceed 2^53. */
  mtimeNs: bigint;
  ctimeNs: bigint;
  dev: bigint;
  ino: bigint;
  nlink: number;
  /**
   * The stat identity (mode, size, mtime ns, ctime ns, dev, ino) as a 44-byte latin1 string
   * (codec.ts `statIdOf`): equal strings are equal identities, compared without BigInts — the
   * stat cache's hot path.
   */
  statId: string;
  /** Symlink target bytes (symlinks only). */
  target?: Buffer;
}

/**
 * One record of the payload root hash (CONTRACT §4): what a line `<type>:<path>:<meta>:<hash>`
 * is made of. `dir` records hash the base name, `symlink` records the target, `file` records the
 * content. Only dir, file and symlink appear (special files are an error).
 */
export interface HashRecord {
  kind: 'dir' | 'file' | 'symlink';
  path: Buffer;
  /** Permission bits only (mode & 0o777 for dirs and files; the link's own bits for symlinks). */
  perm: number;
  /** lstat size (files); 0 for dirs; the lstat size for symlinks (not part of the line). */
  size: number;
  /** Lower-case hex SHA-256. */
  hash: string;
  /** The link target bytes (symlinks only). */
  target?: Buffer;
}

export interface HashResult {
  /** Lower-case hex SHA-256 of the sorted record lines (CONTRACT §4). */
  rootHash: string;
  /** Number of records (entries hashed; `.READY` entries excluded). */
  count: number;
  /** Total bytes of regular-file content hashed. */
  bytes: number;
  /** Records in line order (the order their lines are concatenated), present when requested. */
  records?: HashRecord[];
}

export type EngineName = 'reflink' | 'copy' | 'juicefs';

/** Why part or all of a clone did not use the requested mechanism (CONTRACT §6.2 reason names). */
export type DegradeReason =
  | 'hardlink'
  | 'reflink'
  | 'juicefs-not-available'
  | 'not-on-juicefs'
  | 'juicefs-clone-failed';

export interface CloneFallback {
  path: Buffer;
  /** What was requested for this file and what actually produced it, e.g. reflink → copy. */
  from: EngineName;
  to: EngineName;
  /** errno name or short reason, e.g. "EOPNOTSUPP", "EXDEV". */
  reason: string;
}

export interface CloneReport {
  /** Requested engine. */
  requested: EngineName;
  /** The engine that produced the bytes (CONTRACT §6.2: copy when the requested mechanism cloned nothing). */
  engine: EngineName;
  files: number;
  dirs: number;
  symlinks: number;
  /** Bytes of regular-file content in the tree. */
  bytes: number;
  /** Files hard-linked from `linkFrom` (0 without it). */
  linked: number;
  /** Per-file fallbacks, never silent. */
  fallbacks: CloneFallback[];
  /** Paths of files that had several links in the source and became independent copies. */
  hardlinksSplit: Buffer[];
  /** Paths whose extended attributes could not be copied (fs lacks support). */
  xattrsSkipped: Buffer[];
  /** Distinct §6.2 reasons, in first-seen order. Empty when nothing degraded. */
  degraded: DegradeReason[];
}

export interface EngineProbe {
  engine: EngineName;
  ok: boolean;
  /** Why it does not work there (errno name or message), when ok is false. */
  reason?: string;
}

export interface Progress {
  phase: 'walk' | 'hash' | 'clone' | 'probe';
  entriesDone: number;
  entriesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface CommonOptions {
  /** Called at most every ~100 ms from the event loop; never blocks the worker threads. */
  onProgress?: (p: Progress) => void;
  /** Cancels the operation: it stops between files and rejects with code E_CANCELLED. */
  signal?: AbortSignal;
}

/** A content hash the caller already knows (from a stat cache) for the file at `path`. */
export interface KnownHash {
  path: Buffer;
  size: number;
  /** Lower-case hex SHA-256. */
  hash: string;
}

/**
 * One entry of a worktree index (packed by codec.ts `encodeIndex`, sorted by path bytes): the
 * head snapshot's record for a path, and the stat identity (WalkEntry.statId) under which the
 * worktree's file was last seen to match it.
 */
export interface IndexEntry {
  kind: HashRecord['kind'];
  path: Buffer;
  perm: number;
  size: number;
  /** Lower-case hex SHA-256 (as HashRecord.hash). */
  hash: string;
  statId?: string;
}

export interface IndexSummary {
  rootHash: string;
  dirs: number;
  files: number;
  symlinks: number;
}

/** A tree hashed into an index of its records (NativeCore.hashTreeIndex). */
export interface IndexedTree extends IndexSummary {
  /** Bytes of file content read. */
  bytes: number;
  /** The records as an index (codec.ts), sorted by path, with no identity remembered. */
  index: Buffer;
}

/** What NativeCore.vouchIndex remembered. */
export interface Vouched {
  /** Entries given an identity. */
  vouched: number;
  /** The first entry met on another device than the root (a mount, a nested subvolume). */
  foreign?: Buffer;
}

/** A path where a worktree may differ from its index (NativeCore.scanWorktree). */
export interface ScanDifference {
  /** Byte offset of the index entry for this path in the index buffer, when it has one. */
  at?: number;
  /** The walked entry, when the worktree has the path. */
  entry?: WalkEntry;
  /** Lower-case hex content hash of a file that was read, or SHA-256 of a symlink's target. */
  hash?: string;
  /** The file was read and is exactly the index's record (kind, permission bits, size, hash). */
  same: boolean;
  /** `same`, and its stat identity held while it was read: the identity may be remembered. */
  stable: boolean;
  /**
   * On another device than the root (a nested subvolume or a mount): listed even when it is
   * the index's — then `same`, `stable`, and (files, symlinks) the index's hash.
   */
  foreign: boolean;
}

export interface ScanOptions extends CommonOptions {
  /**
   * Compare identities without their device: `root` is a btrfs snapshot of the tree the
   * index's identities were taken in (same inodes and times, another device number).
   */
  ignoreDev?: boolean;
  /**
   * Read files of the index's size whose identity is not trusted, to tell whether they are
   * still the index's (`same`). Default true; a snapshot, which hashes its clone of every
   * difference, passes false so that no changed file is read twice.
   */
  read?: boolean;
}

export interface HashOptions extends CommonOptions {
  /** Return the per-entry records (for the manifest). Default false. */
  records?: boolean;
  /**
   * Files whose content hash is known: a file at one of these paths whose walked size equals
   * the given size is not read. The caller vouches that its content is unchanged.
   */
  known?: readonly KnownHash[];
}

export interface CloneOptions extends CommonOptions {
  engine: EngineName;
  /**
   * Relative paths (raw bytes or strings) to leave out of the clone, matched exactly
   * against the entry path; a directory excluded excludes its subtree. Used for the
   * root-level `.READY` marker.
   */
  exclude?: Array<Buffer | string>;
  /**
   * Files (raw relative paths) to hard-link from the tree at `root` instead of copying: a
   * snapshot shares unchanged files with its parent snapshot (snapshots are immutable; never
   * use a worktree as either side). The caller vouches for equal content — of `paths`, or
   * without them of every file, checking afterwards what it cannot vouch for; a file is linked
   * only if that copy has the source's size, mtime, permission bits and owner.
   */
  linkFrom?: { root: string; paths?: readonly Buffer[] };
}

/**
 * Errors from the core are `Error` objects with these fields. `code` is a CONTRACT §1.6 class
 * (E_IO, E_UNSUPPORTED_FILE, E_NOT_FOUND, E_EXISTS, ...) or E_CANCELLED; `errno` is the errno
 * name when the cause is a system call (EACCES, ENOENT, ...); `path` names the entry.
 */
export interface CoreError extends Error {
  code: string;
  errno?: string;
  path?: string;
}

/** A held exclusive lock; `unlock()` releases it (idempotent). */
export interface FileLockHandle {
  unlock(): void;
  /** False when the implementation cannot take a real flock (the fallback): nothing is excluded. */
  readonly enforced: boolean;
}

export interface NativeCore {
  /** 'native' for the Rust module, 'fallback' for the pure-TypeScript implementation. */
  readonly kind: 'native' | 'fallback';
  /** Version of the implementation (the Rust crate's version for 'native'). */
  readonly version: string;
  /** Lists every entry under root (root excluded), sorted by path bytes, parents before children. */
  walk(root: string, opts?: CommonOptions): Promise<WalkEntry[]>;
  /** The payload root hash of CONTRACT §4 over root. */
  hashTree(root: string, opts?: HashOptions): Promise<HashResult>;
  /**
   * Records for just these entries of root (raw relative paths), in the order given: what
   * status and restore hash when only some entries may have changed. Missing → E_NOT_FOUND,
   * special file → E_UNSUPPORTED_FILE.
   */
  hashPaths(root: string, paths: readonly Buffer[], opts?: CommonOptions): Promise<HashRecord[]>;
  /**
   * Walks root and compares it with `index` (codec.ts `encodeIndex`). A file whose identity
   * the index remembers and whose mtime and ctime precede `trustBeforeNs` is not read; other
   * files of the index's kind and size are. Returns, in path order, index entries missing from
   * the worktree, walked entries the index lacks, and entries in both that differ or were read
   * (`same` when found equal). `.READY` entries are not listed. A malformed index → E_IO.
   * The index is read where it lies while the promise is pending: do not change it until then.
   */
  scanWorktree(root: string, index: Buffer, trustBeforeNs: bigint, opts?: ScanOptions): Promise<ScanDifference[]>;
  /**
   * `scanWorktree` of `snap` (identities compared without the device), a btrfs snapshot of
   * the subvolume of which `parent` — the snapshot the index describes — is an earlier one,
   * looking only at the inodes btrfs says were written since `parent` was taken: what
   * changed, not the tree. Null when btrfs cannot say (`parent` is not such a snapshot, most of
   * the tree changed, the search needs CAP_SYS_ADMIN; the fallback core never can): scan whole.
   */
  scanSnapshotSince(snap: string, parent: string, index: Buffer, trustBeforeNs: bigint, opts?: CommonOptions): Promise<ScanDifference[] | null>;
  /**
   * What an index describes: the payload root hash (CONTRACT §4) of its records and how many
   * of each kind it holds; the index may be given in pieces of whole entries (patchIndexPieces),
   * not joined. Malformed → E_IO. Do not change the index until the promise settles.
   */
  summarizeIndex(index: Buffer | readonly Buffer[], opts?: CommonOptions): Promise<IndexSummary>;
  /**
   * CRC-32 (IEEE, zlib's) of the buffers as if joined: the stat cache's body check, at memory
   * speed (jvs_core::checksum says why not SHA-256). Synchronous: ~10 ms for 100 MB.
   */
  crc32(pieces: readonly Buffer[]): number;
  /**
   * The payload root hash of `root` (as hashTree), its records packed as an index instead of
   * returned: the tree is streamed, so memory is the index's bytes, not an object per entry.
   */
  hashTreeIndex(root: string, opts?: CommonOptions): Promise<IndexedTree>;
  /**
   * Writes into `index` (a tree's records, just hashed from a copy of `root` that began at
   * `beforeNs`) the stat identity of each entry of `root` that holds its record — same kind,
   * permission bits, size or target — and whose mtime and ctime precede `beforeNs`: ctime only
   * moves forward, so it was not touched since the copy began. Nothing is read. The index is
   * changed in place: do not use it until the promise settles. Malformed → E_IO.
   */
  vouchIndex(root: string, index: Buffer, beforeNs: bigint, opts?: CommonOptions): Promise<Vouched>;
  /** Clones src into dst, which must not exist. On failure nothing is left at dst. */
  cloneTree(src: string, dst: string, opts: CloneOptions): Promise<CloneReport>;
  /**
   * Materializes entries of `srcRoot` (raw relative paths: files or symlinks) as
   * `<dstDir>/<index>` — index = position in `paths` — with the engine, keeping mode, mtime and
   * (as root) owner. `dstDir` is created if missing. Restore stages replacements this way, then
   * renames each into place. Reports like cloneTree.
   */
  materializeEntries(srcRoot: string, paths: readonly Buffer[], dstDir: string, opts: CloneOptions): Promise<CloneReport>;
  /** Which engines work inside dir (probe files are made in dir and removed). */
  probe(dir: string): Promise<EngineProbe[]>;
  /**
   * An exclusive flock(2) on the existing file at path (the audit log's append lock, shared
   * with jvs v8.2), waited for off the event loop.
   */
  lockExclusive(path: string): Promise<FileLockHandle>;
  /**
   * fsyncs every regular file and directory under root, and root (a materialized tree before it
   * is published). Symlinks are never opened. Resolves to the number of entries.
   */
  syncTree(root: string): Promise<number>;
  /**
   * Whether `path` is the root directory of a btrfs subvolume (a symlink never is). Missing →
   * E_NOT_FOUND. Always false where subvolumes are unsupported (the fallback, non-Linux).
   */
  isSubvolume(path: string): Promise<boolean>;
  /** Creates an empty btrfs subvolume at `path`, which must not exist (E_EXISTS). */
  createSubvolume(path: string): Promise<void>;
  /**
   * Snapshots the subvolume `src` (a subvolume root, else EINVAL) as the new subvolume `dst`,
   * read-only when `readonly`. O(1): nothing is copied.
   */
  snapshotSubvolume(src: string, dst: string, readonly: boolean): Promise<void>;
  /** Sets or clears the read-only flag of the subvolume at `path`. */
  setSubvolumeReadonly(path: string, readonly: boolean): Promise<void>;
  /**
   * Deletes the subvolume at `path` with everything in it. Not permitted (errno EPERM, EACCES
   * or EROFS): E_IO whose message names CAP_SYS_ADMIN and the user_subvol_rm_allowed mount
   * option, and nothing changed. One holding other subvolumes: errno ENOTEMPTY.
   */
  deleteSubvolume(path: string): Promise<void>;
}
