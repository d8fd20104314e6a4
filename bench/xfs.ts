/**
 * An XFS filesystem with reflink for the clone benchmark: the directory named by JVS_BENCH_XFS,
 * or (root + mkfs.xfs) a sparse image under bench/.data, attached with losetup, formatted with
 * `mkfs.xfs -m reflink=1` and mounted — all undone by `teardown` (also registered as a cleanup,
 * so it runs on failure and on SIGINT/SIGTERM).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { dataRoot, exec, onCleanup, run, which } from './util.js';

export interface XfsScratch {
  /** Directory on XFS where datasets and clones go. */
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

/** Returns the scratch area, or a reason why XFS is not available here. */
export async function setupXfs(sizeGiB: number, log: (m: string) => void): Promise<XfsScratch | { skipped: string }> {
  const given = process.env['JVS_BENCH_XFS'];
  if (given) {
    const type = await fsType(given);
    if (type !== 'xfs') return { skipped: `JVS_BENCH_XFS=${given} is on ${type}, not xfs` };
    const root = join(given, 'jvs-bench');
    mkdirSync(root, { recursive: true });
    return { root, how: `JVS_BENCH_XFS=${given}`, teardown: async () => {} };
  }
  if (process.getuid?.() !== 0) return { skipped: 'not root and JVS_BENCH_XFS not set' };
  for (const tool of ['mkfs.xfs', 'losetup', 'mount', 'umount']) {
    if (!(await which(tool))) return { skipped: `${tool} not found` };
  }

  const image = join(dataRoot, 'xfs.img');
  const mnt = join(dataRoot, 'xfs-mnt');
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
    await run('mkfs.xfs', ['-q', '-f', '-m', 'reflink=1', device]);
    await run('mount', [device, mnt]);
    mounted = true;
    log(`XFS: ${sizeGiB} GiB sparse image on ${device}, mounted at ${mnt}`);
    return { root: mnt, how: `loop device (${sizeGiB} GiB sparse image, losetup --direct-io=on, mkfs.xfs -m reflink=1)`, teardown: undo };
  } catch (e) {
    await undo();
    return { skipped: `cannot set up a loop-mounted XFS: ${e instanceof Error ? e.message : String(e)}` };
  }
}
