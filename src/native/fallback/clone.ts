/*
 * cloneTree: the copy and reflink engines of CONTRACT §6.3 with Node's fs.
 *
 * What the fallback preserves:
 * - content: FICLONE through COPYFILE_FICLONE_FORCE (reflink), else libuv's byte copy (which may
 *   itself use copy_file_range; sparse files come out dense, as §6.3 says for copy);
 * - permission bits exactly, umask-independent: an explicit chmod after creation, setuid,
 *   setgid and sticky included where the OS allows them (Linux silently drops setgid on a file
 *   whose group the caller is not in);
 * - times: Node's utimes takes seconds as a double and libuv truncates to the microsecond, so
 *   mtimes (and atimes) are preserved to the microsecond, truncated; the native side keeps
 *   nanoseconds. Symlink times are set with lutimes. Directories get theirs after their children;
 * - owner and group only when running as root (lchown), like `cp -a`; otherwise everything
 *   belongs to the caller;
 * - the destination root gets the source root's mode and times.
 * What it does not: extended attributes and ACLs (Node has no xattr API; nothing is recorded in
 * xattrsSkipped because nothing is inspected), hard links (split and reported), JuiceFS clones
 * (the protocol is native-only: a byte copy, reported as juicefs-not-available, or as
 * not-on-juicefs when the trees are not on JuiceFS anyway).
 */
import { constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CloneFallback, CloneOptions, CloneReport, DegradeReason, EngineName, WalkEntry } from '../types.js';
import { JvsCoreError, errnoName, errnoOf, ioError, throwIfCancelled, unsupportedFile } from './errors.js';
import { FILES_IN_FLIGHT, forEachLimited } from './pool.js';
import { isOnJuicefs } from './probe.js';
import { ProgressReporter } from './progress.js';
import { TreePaths, checkRoot, kindOf, walkTree } from './walk.js';

/** The source metadata a clone restores besides what WalkEntry carries. */
interface SourceMeta {
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  mode: number;
}

export async function cloneTree(src: string, dst: string, opts: CloneOptions): Promise<CloneReport> {
  throwIfCancelled(opts.signal);
  const rootStat = await checkRoot(src);
  await ensureAbsent(dst);

  const excluded = new Set((opts.exclude ?? []).map((p) => Buffer.from(p).toString('latin1')));
  const meta = new Map<WalkEntry, SourceMeta>();
  const progress = new ProgressReporter(opts.onProgress, 'walk');
  const entries = await walkTree(src, {
    signal: opts.signal,
    progress,
    skip: (rel) => excluded.has(rel.toString('latin1')),
    onStat: (entry, st) => meta.set(entry, sourceMeta(st)),
  });
  // Refuse special files before anything exists at dst.
  for (const e of entries) {
    if (e.kind !== 'dir' && e.kind !== 'file' && e.kind !== 'symlink') throw unsupportedFile(e.kind, e.path);
  }
  const dirs = entries.filter((e) => e.kind === 'dir');
  const files = entries.filter((e) => e.kind === 'file');
  const leaves = entries.filter((e) => e.kind !== 'dir');
  const hardlinksSplit = hardlinkedPaths(files);
  const bytes = files.reduce((sum, e) => sum + e.size, 0);

  try {
    await mkdir(dst, { mode: 0o700 });
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') {
      throw new JvsCoreError('E_EXISTS', `destination already exists: ${dst}`, { errno: 'EEXIST', path: dst, cause: err });
    }
    throw ioError(err, 'cannot create', dst);
  }

  const target = new TreePaths(dst);
  const source = new TreePaths(src);
  const fileEngine: EngineName = opts.engine === 'reflink' ? 'reflink' : 'copy';
  const fellBack = new Map<WalkEntry, CloneFallback>();
  // Without paths, every file may be linked (the caller checks afterwards).
  const linkable = opts.linkFrom?.paths ? new Set(opts.linkFrom.paths.map((p) => p.toString('latin1'))) : undefined;
  let reflinked = 0;
  let linked = 0;
  try {
    progress.phase('clone', entries.length, bytes);
    // Directories are created owner-writable first; their real modes come after their children.
    for (const d of dirs) {
      throwIfCancelled(opts.signal);
      await attempt('cannot create directory', d.path, () => mkdir(target.abs(d.path), { mode: 0o700 }));
      progress.state.entriesDone++;
      progress.tick();
    }
    await forEachLimited(leaves, FILES_IN_FLIGHT, opts.signal, async (e) => {
      const to = target.abs(e.path);
      const kind = e.kind === 'symlink' ? 'symlink' : 'file';
      if (kind === 'symlink') {
        await attempt('cannot create symlink', e.path, () => symlink(e.target ?? Buffer.alloc(0), to));
      } else if (opts.linkFrom && (!linkable || linkable.has(e.path.toString('latin1'))) && (await linkFromOther(opts.linkFrom!.root, e, to, meta.get(e)))) {
        linked++;
        progress.state.bytesDone += e.size;
        progress.state.entriesDone++;
        progress.tick();
        return;
      } else {
        const fallback = await copyContent(source.abs(e.path), to, e.path, fileEngine);
        if (fallback === undefined) {
          if (fileEngine === 'reflink') reflinked++;
        } else {
          fellBack.set(e, fallback);
        }
        progress.state.bytesDone += e.size;
      }
      await applyMeta(to, e.path, kind, meta.get(e));
      progress.state.entriesDone++;
      progress.tick();
    });
    // Deepest first: setting a directory's times must come after every change inside it.
    for (const d of [...dirs].reverse()) {
      throwIfCancelled(opts.signal);
      await applyMeta(target.abs(d.path), d.path, 'dir', meta.get(d));
    }
    await applyMeta(Buffer.from(dst), Buffer.from(dst), 'dir', sourceMeta(rootStat));
  } catch (err) {
    const failure = ioError(err, 'cannot clone', dst);
    await removeClone(dst, dirs.map((d) => target.abs(d.path)), failure);
    throw failure;
  }
  progress.finish();

  const fallbacks = files.flatMap((f) => fellBack.get(f) ?? []);
  const degraded: DegradeReason[] = [];
  const note = (r: DegradeReason): void => {
    if (!degraded.includes(r)) degraded.push(r);
  };
  if (opts.engine === 'juicefs') note(await juicefsReason(src, dst));
  const split = new Set(hardlinksSplit);
  for (const f of files) {
    if (split.has(f.path)) note('hardlink');
    if (fellBack.has(f)) note('reflink');
  }
  return {
    requested: opts.engine,
    // §6.2: the engine that produced the bytes; reflink only if it cloned at least one file.
    engine: opts.engine === 'reflink' && (reflinked > 0 || fallbacks.length === 0) ? 'reflink' : 'copy',
    files: files.length,
    dirs: dirs.length,
    symlinks: leaves.length - files.length,
    bytes,
    linked,
    fallbacks,
    hardlinksSplit,
    xattrsSkipped: [],
    degraded,
  };
}

/**
 * Hard-links a file from `linkFrom.root` when that copy has the source's size, mtime, mode and
 * owner (as the native engines do); false otherwise or when linking fails (then it is copied).
 */
async function linkFromOther(root: string, e: WalkEntry, to: Buffer, m: SourceMeta | undefined): Promise<boolean> {
  if (!m) return false;
  const from = Buffer.concat([Buffer.from(`${root}/`), e.path]);
  try {
    const st = await lstat(from, { bigint: true });
    const same =
      st.isFile() && Number(st.size) === e.size && st.mtimeNs === m.mtimeNs && (Number(st.mode) & 0o7777) === (m.mode & 0o7777) && Number(st.uid) === m.uid && Number(st.gid) === m.gid;
    if (!same) return false;
    await link(from, to);
    return true;
  } catch {
    return false;
  }
}

/**
 * Materializes single entries (files or symlinks) of srcRoot as `<dstDir>/<index>`, with the
 * same per-file behaviour as cloneTree: restore stages its replacements this way.
 */
export async function materializeEntries(srcRoot: string, paths: readonly Buffer[], dstDir: string, opts: CloneOptions): Promise<CloneReport> {
  throwIfCancelled(opts.signal);
  await attempt('cannot create directory', Buffer.from(dstDir), () => mkdir(dstDir, { recursive: true, mode: 0o700 }));
  const source = new TreePaths(srcRoot);
  const fileEngine: EngineName = opts.engine === 'reflink' ? 'reflink' : 'copy';
  const fallbacks: CloneFallback[] = [];
  let reflinked = 0;
  let files = 0;
  let bytes = 0;
  const jobs = paths.map((path, i) => ({ path, to: Buffer.from(`${dstDir}/${i}`) }));
  await forEachLimited(jobs, FILES_IN_FLIGHT, opts.signal, async ({ path, to }) => {
    const from = source.abs(path);
    let st: BigIntStats;
    try {
      st = await lstat(from, { bigint: true });
    } catch (err) {
      throw ioError(err, 'lstat', path);
    }
    const kind = kindOf(st);
    if (kind === 'symlink') {
      const target = await readlink(from, { encoding: 'buffer' });
      await attempt('cannot create symlink', path, () => symlink(target, to));
    } else if (kind === 'file') {
      const fb = await copyContent(from, to, path, fileEngine);
      if (fb) fallbacks.push(fb);
      else if (fileEngine === 'reflink') reflinked++;
      files++;
      bytes += Number(st.size);
    } else if (kind === 'dir') {
      throw new JvsCoreError('E_IO', `cannot materialize ${path.toString()}: a directory, not a file or symlink`, { path: path.toString() });
    } else {
      throw unsupportedFile(kind, path);
    }
    await applyMeta(to, path, kind, sourceMeta(st));
  });
  const degraded: DegradeReason[] = [];
  if (opts.engine === 'juicefs') degraded.push(await juicefsReason(srcRoot, dstDir));
  if (fallbacks.length > 0) degraded.push('reflink');
  return {
    requested: opts.engine,
    engine: opts.engine === 'reflink' && (reflinked > 0 || fallbacks.length === 0) ? 'reflink' : 'copy',
    files,
    dirs: 0,
    symlinks: paths.length - files,
    bytes,
    linked: 0,
    fallbacks,
    hardlinksSplit: [],
    xattrsSkipped: [],
    degraded,
  };
}

/**
 * Why a requested JuiceFS clone became a byte copy: the trees are not both on JuiceFS, or they
 * are but the fallback cannot speak the clone protocol.
 */
async function juicefsReason(src: string, dst: string): Promise<DegradeReason> {
  const onJuicefs = (await isOnJuicefs(src)) && (await isOnJuicefs(dirname(dst)));
  return onJuicefs ? 'juicefs-not-available' : 'not-on-juicefs';
}

async function ensureAbsent(dst: string): Promise<void> {
  try {
    await lstat(dst);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw ioError(err, 'cannot stat', dst);
  }
  throw new JvsCoreError('E_EXISTS', `destination already exists: ${dst}`, { errno: 'EEXIST', path: dst });
}

function sourceMeta(st: BigIntStats): SourceMeta {
  return { uid: Number(st.uid), gid: Number(st.gid), atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, mode: Number(st.mode) };
}

/** Paths of the files sharing an inode with another file of the clone, in path order. */
function hardlinkedPaths(files: WalkEntry[]): Buffer[] {
  const byInode = new Map<string, number>();
  const key = (e: WalkEntry): string => `${e.dev}:${e.ino}`;
  for (const f of files) {
    if (f.nlink > 1) byInode.set(key(f), (byInode.get(key(f)) ?? 0) + 1);
  }
  return files.filter((f) => (byInode.get(key(f)) ?? 0) > 1).map((f) => f.path);
}

/**
 * Copies one file's content; returns the fallback record when reflink was requested and did not
 * work. Any reflink failure falls back: a real I/O problem fails the byte copy as well.
 */
async function copyContent(from: Buffer, to: Buffer, rel: Buffer, engine: EngineName): Promise<CloneFallback | undefined> {
  if (engine === 'reflink') {
    try {
      await copyFile(from, to, constants.COPYFILE_FICLONE_FORCE);
      return undefined;
    } catch (err) {
      await attempt('cannot copy', rel, () => copyFile(from, to, 0));
      return { path: rel, from: 'reflink', to: 'copy', reason: errnoName(err) };
    }
  }
  await attempt('cannot copy', rel, () => copyFile(from, to, 0));
  return undefined;
}

const RUNNING_AS_ROOT = process.getuid?.() === 0;

/** Owner (root only), then mode (chown would clear setuid/setgid), then times. */
async function applyMeta(to: Buffer, rel: Buffer, kind: 'dir' | 'file' | 'symlink', m: SourceMeta | undefined): Promise<void> {
  if (m === undefined) return;
  if (RUNNING_AS_ROOT) await attempt('cannot set owner of', rel, () => lchown(to, m.uid, m.gid));
  if (kind === 'symlink') {
    // Linux has no lchmod (a symlink's bits are always 0777); times are best effort (§6.3).
    await lutimes(to, timeArg(m.atimeNs), timeArg(m.mtimeNs)).catch(() => undefined);
    return;
  }
  await attempt('cannot set mode of', rel, () => chmod(to, m.mode & 0o7777));
  await attempt('cannot set times of', rel, () => utimes(to, timeArg(m.atimeNs), timeArg(m.mtimeNs)));
}

/**
 * Seconds for utimes. libuv keeps whole microseconds and truncates, and a double near 1.7e9 s
 * resolves ~240 ns, so aiming at the middle of the microsecond lands exactly on it. Node turns
 * negative numbers into "now", so times before 1970 go through a Date (millisecond precision).
 */
function timeArg(ns: bigint): number | Date {
  if (ns < 0n) return new Date(Number(ns / 1_000_000n));
  const us = ns / 1000n;
  return Number(us / 1_000_000n) + (Number(us % 1_000_000n) + 0.5) / 1e6;
}

async function attempt(action: string, rel: Buffer, op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch (err) {
    throw ioError(err, action, rel);
  }
}

/**
 * Removes a failed clone. A directory whose final mode is already read-only blocks the removal
 * of its entries for a non-root caller, so on a first failure the directories are made writable.
 * If even that fails, the clone's error says what was left behind.
 */
async function removeClone(dst: string, dirs: Buffer[], failure: JvsCoreError): Promise<void> {
  try {
    await rm(dst, { recursive: true, force: true });
    return;
  } catch {
    for (const d of [Buffer.from(dst), ...dirs]) await chmod(d, 0o700).catch(() => undefined);
  }
  try {
    await rm(dst, { recursive: true, force: true });
  } catch (err) {
    failure.message += `; the partial clone at ${dst} could not be removed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
