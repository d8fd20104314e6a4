/**
 * Carrying out a restore plan inside the existing worktree directory (CONTRACT §5.3 properties
 * 3, 6, 7): removals first (so a symlink standing where the snapshot has a directory is gone
 * before anything is created there), then directories, then each new or changed file or
 * symlink materialized in the staging sibling `<payload>.restore-tmp-<8 hex>` (same file
 * system; beside the target for a directory on another file system) and renamed into place,
 * then permission bits (directories deepest first, after their children). Every parent
 * written into is checked to resolve inside the payload.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { JvsError } from '../errors.js';
import { fsyncDir } from '../fs/atomic.js';
import { getCore, type CloneReport, type EngineName, type Progress } from '../native/index.js';
import type { CompressedSnapshot } from '../compress/index.js';
import { mergeReports } from '../snapshot/create.js';
import { isUnder } from '../snapshot/paths.js';
import type { Action } from './plan.js';
import { rawPath } from '../fs/raw-path.js';

/** The staging sibling's name: `<payload>.restore-tmp-<8 hex>` (§3.1). */
export function stagingPath(payload: string): string {
  return `${payload}.restore-tmp-${randomBytes(4).toString('hex')}`;
}

/**
 * Paths are raw bytes end to end (names need not be UTF-8): Node's fs functions take Buffer
 * paths, so worktree paths are built as Buffers and never decoded.
 */
function parentOf(p: Buffer): Buffer {
  return p.subarray(0, p.lastIndexOf(0x2f));
}

async function checkInside(rootReal: Buffer, path: Buffer): Promise<void> {
  const parent = await realpath(parentOf(path), { encoding: 'buffer' });
  if (!isUnder(rootReal.toString('latin1'), parent.toString('latin1'))) {
    throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: ${path.toString()} is outside the repository`);
  }
}

export interface ApplyOptions {
  payload: string;
  snapshotDir: string;
  engine: EngineName;
  staging: string;
  /** A compressed snapshot's logical tree: files are decompressed from it (§3.9). */
  logical?: CompressedSnapshot;
  /** Progress of materializing the replaced entries (the costly part of a restore). */
  onProgress?: (p: Progress) => void;
}

/** Applies the actions; returns the number of entries written or removed, and of files decompressed. */
export async function applyPlan(
  actions: readonly Action[],
  o: ApplyOptions,
): Promise<{ changed: number; decompressed: number; report?: CloneReport }> {
  const rootReal = await realpath(Buffer.from(o.payload), { encoding: 'buffer' });
  const touchedDirs = new Map<string, Buffer>();
  const touch = (p: Buffer): void => {
    const d = parentOf(p);
    touchedDirs.set(d.toString('latin1'), d);
  };
  let count = 0;
  let decompressed = 0;
  let report: CloneReport | undefined;

  for (const a of actions) {
    if (a.op !== 'remove') continue;
    const p = rawPath(o.payload, a.path);
    await checkInside(rootReal, p);
    await rm(p, { recursive: true, force: true });
    touch(p);
    count++;
  }

  const finalDirModes: { path: Buffer; perm: number }[] = [];
  for (const a of actions) {
    if (a.op !== 'mkdir') continue;
    const p = rawPath(o.payload, a.path);
    await checkInside(rootReal, p);
    // Owner-writable until the children exist; the snapshot's bits go on at the end.
    await mkdir(p, { recursive: true, mode: 0o700 });
    finalDirModes.push({ path: p, perm: a.perm });
    touch(p);
    count++;
  }

  const puts = actions.filter((a): a is Extract<Action, { op: 'put' }> => a.op === 'put');
  const reports: CloneReport[] = [];
  for (const [stage, group] of await stagingAreas(puts, o)) {
    const placed = await place(group, stage, o, rootReal);
    decompressed += placed.decompressed;
    if (placed.report) reports.push(placed.report);
    for (const to of placed.written) touch(to);
    count += group.length;
    if (stage !== o.staging) await rm(stage, { recursive: true, force: true });
  }
  if (reports.length > 0) report = mergeReports(reports, o.engine);

  for (const a of actions) {
    if (a.op !== 'chmod') continue;
    const p = rawPath(o.payload, a.path);
    if (a.kind === 'dir') finalDirModes.push({ path: p, perm: a.perm });
    else await chmod(p, a.perm);
    count++;
  }
  finalDirModes.sort((x, y) => y.path.length - x.path.length);
  for (const d of finalDirModes) await chmod(d.path, d.perm);

  for (const d of touchedDirs.values()) await fsyncDir(d);
  return { changed: count, decompressed, ...(report ? { report } : {}) };
}

type Put = Extract<Action, { op: 'put' }>;

/**
 * Where each new entry is staged: the staging sibling, unless the entry's directory is on
 * another file system (a worktree that is, or holds, a mount point) — a rename cannot cross
 * file systems, so those are staged beside their target, in `<dir>/.jvs-tmp-<digits>/`.
 */
async function stagingAreas(puts: readonly Put[], o: ApplyOptions): Promise<Map<string, Put[]>> {
  const areas = new Map<string, Put[]>();
  if (puts.length === 0) return areas;
  const home = (await stat(dirname(o.staging))).dev;
  for (const a of puts) {
    const dir = parentOf(rawPath(o.payload, a.path));
    // A `.READY` directory has no record of its own, so nothing above created its parent.
    await mkdir(dir, { recursive: true, mode: 0o755 });
    let stage = o.staging;
    if ((await stat(dir)).dev !== home) {
      const name = dir.toString();
      if (!Buffer.from(name).equals(dir)) throw new JvsError('E_IO', `E_IO: cannot stage a restore across file systems into a directory whose name is not UTF-8: ${name}`);
      stage = `${name}/.jvs-tmp-${String(randomBytes(4).readUInt32LE(0))}`;
    }
    const list = areas.get(stage) ?? [];
    list.push(a);
    areas.set(stage, list);
  }
  return areas;
}

/**
 * Materializes `puts` into `stage` as `<stage>/<index>`, each with its exact mode and mtime,
 * makes them durable, then renames each into place: a crash leaves the old entry or the
 * complete new one.
 */
async function place(puts: readonly Put[], stage: string, o: ApplyOptions, rootReal: Buffer): Promise<{ decompressed: number; report?: CloneReport; written: Buffer[] }> {
  const paths = puts.map((a) => a.path);
  let decompressed = 0;
  let report: CloneReport | undefined;
  // [compress hook] A compressed snapshot's files are decompressed, not cloned.
  if (o.logical) decompressed = await o.logical.materializeEntries(paths, stage);
  else report = await getCore().materializeEntries(o.snapshotDir, paths, stage, { engine: o.engine, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  await getCore().syncTree(stage);
  const written: Buffer[] = [];
  for (const [i, a] of puts.entries()) {
    const to = rawPath(o.payload, a.path);
    await checkInside(rootReal, to);
    await rename(join(stage, String(i)), to);
    written.push(to);
  }
  return { decompressed, ...(report ? { report } : {}), written };
}
