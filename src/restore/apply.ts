/**
 * Carrying out a restore plan inside the existing worktree directory (CONTRACT §5.3 properties
 * 3, 6, 7): removals first (so a symlink standing where the snapshot has a directory is gone
 * before anything is created there), then directories, then each new or changed file or
 * symlink materialized in the staging sibling `<payload>.restore-tmp-<8 hex>` (same file
 * system) and renamed into place, then permission bits (directories deepest first, after their
 * children). Every parent written into is checked to resolve inside the payload.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, realpath, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { JvsError } from '../errors.js';
import { fsyncDir } from '../fs/atomic.js';
import { getCore, type CloneReport, type EngineName, type Progress } from '../native/index.js';
import type { CompressedSnapshot } from '../compress/index.js';
import { isUnder } from '../snapshot/paths.js';
import type { Action } from './plan.js';

/** The staging sibling's name: `<payload>.restore-tmp-<8 hex>` (§3.1). */
export function stagingPath(payload: string): string {
  return `${payload}.restore-tmp-${randomBytes(4).toString('hex')}`;
}

/**
 * Paths are raw bytes end to end (names need not be UTF-8): Node's fs functions take Buffer
 * paths, so worktree paths are built as Buffers and never decoded.
 */
function abs(payload: string, rel: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${payload}/`), rel]);
}

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
    const p = abs(o.payload, a.path);
    await checkInside(rootReal, p);
    await rm(p, { recursive: true, force: true });
    touch(p);
    count++;
  }

  const finalDirModes: { path: Buffer; perm: number }[] = [];
  for (const a of actions) {
    if (a.op !== 'mkdir') continue;
    const p = abs(o.payload, a.path);
    await checkInside(rootReal, p);
    // Owner-writable until the children exist; the snapshot's bits go on at the end.
    await mkdir(p, { recursive: true, mode: 0o700 });
    finalDirModes.push({ path: p, perm: a.perm });
    touch(p);
    count++;
  }

  const puts = actions.filter((a): a is Extract<Action, { op: 'put' }> => a.op === 'put');
  if (puts.length > 0) {
    // Staged as <staging>/<index>, each with its exact mode and mtime, then made durable
    // before it becomes visible: a crash leaves the old entry or the complete new one.
    const paths = puts.map((a) => a.path);
    // [compress hook] A compressed snapshot's files are decompressed, not cloned.
    if (o.logical) decompressed = await o.logical.materializeEntries(paths, o.staging);
    else report = await getCore().materializeEntries(o.snapshotDir, paths, o.staging, { engine: o.engine, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    await getCore().syncTree(o.staging);
    for (const [i, a] of puts.entries()) {
      const to = abs(o.payload, a.path);
      // A `.READY` directory has no record of its own, so nothing above created its parent.
      await mkdir(parentOf(to), { recursive: true, mode: 0o755 });
      await checkInside(rootReal, to);
      await rename(join(o.staging, String(i)), to);
      touch(to);
      count++;
    }
  }

  for (const a of actions) {
    if (a.op !== 'chmod') continue;
    const p = abs(o.payload, a.path);
    if (a.kind === 'dir') finalDirModes.push({ path: p, perm: a.perm });
    else await chmod(p, a.perm);
    count++;
  }
  finalDirModes.sort((x, y) => y.path.length - x.path.length);
  for (const d of finalDirModes) await chmod(d.path, d.perm);

  for (const d of touchedDirs.values()) await fsyncDir(d);
  return { changed: count, decompressed, ...(report ? { report } : {}) };
}
