/**
 * The outside references: OpenSSL, coreutils `sha256sum` and `cp`, and the untimed helpers
 * (page-cache warm-up, sync, destination removal) shared by the commands.
 */
import { availableParallelism } from 'node:os';

import { exec, q, run, sh } from './util.js';

export const nproc = availableParallelism();

/** `find … -print0 | xargs -0 …` run from inside `dir` (short relative names → fewer execs). */
function overFiles(dir: string, xargs: string, cmd: string): string[] {
  return ['bash', '-c', `set -euo pipefail; cd ${q(dir)}; find . -type f -print0 | xargs -0 ${xargs} ${cmd} >/dev/null`];
}

/** One `openssl dgst -sha256` process at a time over all files (xargs batches sequentially). */
export function opensslOne(dir: string): string[] {
  return overFiles(dir, '', 'openssl dgst -sha256');
}

/** The file list split over `jobs` parallel xargs batches (`-P jobs -n ⌈files/jobs⌉`). */
export function opensslParallel(dir: string, files: number, jobs = nproc): string[] {
  return overFiles(dir, `-P ${jobs} -n ${Math.max(1, Math.ceil(files / jobs))}`, 'openssl dgst -sha256');
}

/** coreutils sha256sum (9.1 has no SHA-NI path: a floor for "what a shell script gets"). */
export function sha256sum(dir: string): string[] {
  return overFiles(dir, '', 'sha256sum');
}

export function cpA(src: string, dst: string, reflink?: 'always'): string[] {
  return ['cp', '-a', ...(reflink ? [`--reflink=${reflink}`] : []), src, dst];
}

/** Reads every file of the tree once (nproc readers) so the timed run finds it in the page cache. */
export async function warm(dir: string): Promise<void> {
  await sh(`cd ${q(dir)}; find . -type f -print0 | xargs -0 -P ${nproc} cat >/dev/null`);
}

export async function syncAll(): Promise<void> {
  await run('sync', []);
}

export async function removeTree(path: string): Promise<void> {
  try {
    // Its complaints are dropped: under read-only subvolumes there is one per entry, which at
    // 1M files per snapshot is more than a string can hold.
    await sh(`rm -rf -- ${q(path)} 2>/dev/null`);
  } catch {
    // Read-only btrfs subvolume snapshots (the btrfs-snapshot engine's) refuse rm: delete every
    // subvolume below as one (a subvolume root is inode 256), then what is left.
    await sh(`find ${q(path)} -inum 256 -type d -print0 | xargs -0 -r btrfs subvolume delete >/dev/null`);
    await run('rm', ['-rf', '--', path]);
  }
}

export interface SpeedResult {
  /** Bytes per second, single core, 1 MiB blocks. */
  bytesPerSec: number;
  command: string;
}

/** `openssl speed -evp sha256 -bytes 1048576 -seconds S` (single core), machine-readable. */
export async function opensslSpeed(seconds = 3, multi = 1): Promise<SpeedResult> {
  const args = ['speed', '-mr', ...(multi > 1 ? ['-multi', String(multi)] : []), '-evp', 'sha256', '-bytes', '1048576', '-seconds', String(seconds)];
  const r = await exec('openssl', args);
  if (r.code !== 0) throw new Error(`openssl speed failed: ${r.stderr.trim()}`);
  // -mr prints "+F:<n>:sha256:<bytes/s>" (with -multi, the aggregate as "+F:…" too).
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('+F:'));
  const last = lines[lines.length - 1];
  const m = last ? /^\+F:\d+:[^:]+:([\d.]+)/.exec(last) : null;
  if (!m) throw new Error(`cannot parse openssl speed output: ${r.stdout.slice(-500)}`);
  return { bytesPerSec: Number(m[1]), command: `openssl ${args.filter((a) => a !== '-mr').join(' ')}` };
}
