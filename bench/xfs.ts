/**
 * Loop-mounted filesystems for the benchmarks: XFS with reflink (clone, delta) and btrfs (delta).
 * The directory named by JVS_BENCH_XFS / JVS_BENCH_BTRFS, or (root + mkfs) a sparse image under
 * bench/.data, attached with losetup, formatted (`mkfs.xfs -m reflink=1`, `mkfs.btrfs`) and
 * mounted — all undone by `teardown` (also registered as a cleanup, so it runs on failure and on
 * SIGINT/SIGTERM).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { dataRoot, exec, onCleanup, run, which } from './util.js';

export interface LoopScratch {
  /** Directory on the filesystem where datasets and clones go. */
  root: string;
  /** How it was obtained, for the report. */
  how: string;
  /** Undo what was set up (no-op for JVS_BENCH_XFS). */
  teardown: () => Promise<void>;
}

/** Filesystem type of the mount holding `dir` (findmnt; `stat -f` says ext2/ext3 for ext4). */
export async function fsType(dir: string): Promise<string> {
  const r = await exec('findmnt', ['-n', '-o', 'FSTYPE', '--target', dir]);
  if (r.code === 0 && r.stdout.trim()) return r.stdout.trim().split('\n')[0] as string;
  const s = await exec('stat', ['-f', '-c', '%T', dir]);
  return s.code === 0 ? s.stdout.trim() : 'unknown';
}

export type LoopFs = 'xfs' | 'btrfs';

const LOOP_FS: Record<LoopFs, { env: string; mkfs: string[]; how: string }> = {
  xfs: { env: 'JVS_BENCH_XFS', mkfs: ['mkfs.xfs', '-q', '-f', '-m', 'reflink=1'], how: 'mkfs.xfs -m reflink=1' },
  btrfs: { env: 'JVS_BENCH_BTRFS', mkfs: ['mkfs.btrfs', '-q', '-f'], how: 'mkfs.btrfs' },
};

/** Returns the XFS scratch area, or a reason why XFS is not available here. */
export function setupXfs(sizeGiB: number, log: (m: string) => void): Promise<LoopScratch | { skipped: string }> {
  return setupLoopFs('xfs', sizeGiB, log);
}

/** Returns a scratch area on `type`, or a reason why that filesystem is not available here. */
export async function setupLoopFs(type: LoopFs, sizeGiB: number, log: (m: string) => void): Promise<LoopScratch | { skipped: string }> {
  const { env, mkfs, how } = LOOP_FS[type];
  const given = process.env[env];
  if (given) {
    const found = await fsType(given);
    if (found !== type) return { skipped: `${env}=${given} is on ${found}, not ${type}` };
    const root = join(given, 'jvs-bench');
    mkdirSync(root, { recursive: true });
    return { root, how: `${env}=${given}`, teardown: async () => {} };
  }
  if (process.getuid?.() !== 0) return { skipped: `not root and ${env} not set` };
  for (const tool of [mkfs[0] as string, 'losetup', 'mount', 'umount']) {
    if (!(await which(tool))) return { skipped: `${tool} not found` };
  }

  const image = join(dataRoot, `${type}.img`);
  const mnt = join(dataRoot, `${type}-mnt`);
  let device: string | undefined;
  let mounted = false;
  const teardown = async (): Promise<void> => {
    if (mounted) {
      const r = await exec('umount', [mnt]);
      if (r.code !== 0) {
        log(`umount ${mnt} failed (${r.stderr.trim()}); lazy unmount`);
        await exec('umount', ['-l', mnt]);
      }
      mounted = false;
    }
    if (device) {
      await exec('losetup', ['-d', device]);
      device = undefined;
    }
    rmSync(image, { force: true });
    if (existsSync(mnt)) rmSync(mnt, { recursive: true, force: true });
  };
  const undo = onCleanup(teardown);
  try {
    // A leftover from a killed run: detach it first.
    const stale = await exec('losetup', ['-j', image]);
    for (const line of stale.stdout.split('\n')) {
      const dev = line.split(':')[0];
      if (dev) {
        await exec('umount', [mnt]);
        await exec('losetup', ['-d', dev]);
      }
    }
    mkdirSync(mnt, { recursive: true });
    rmSync(image, { force: true });
    await run('truncate', ['-s', `${sizeGiB}G`, image]);
    device = (await run('losetup', ['--find', '--show', '--direct-io=on', image])).stdout.trim();
    await run(mkfs[0] as string, [...mkfs.slice(1), device]);
    await run('mount', [device, mnt]);
    mounted = true;
    log(`${type}: ${sizeGiB} GiB sparse image on ${device}, mounted at ${mnt}`);
    return { root: mnt, how: `loop device (${sizeGiB} GiB sparse image, losetup --direct-io=on, ${how})`, teardown: undo };
  } catch (e) {
    await undo();
    return { skipped: `cannot set up a loop-mounted ${type}: ${e instanceof Error ? e.message : String(e)}` };
  }
}
