// Test-side access to the real filesystems provided by test/setup/filesystems.ts (or by .ci/run).
//
//   import { fsTarget, freshDir } from '../support/filesystems.js';
//   const xfs = fsTarget('xfs');                       // { name, dir?, skipReason? }
//   describe.skipIf(!xfs.dir)('snapshot on XFS', () => {
//     it('clones', async () => { const dir = await freshDir(xfs, 'clone'); ... });
//   });
//
// Outside CI an unavailable filesystem gives { skipReason } and a one-time console.warn saying
// why. Under CI (CI=true) it throws instead, so a CI run can never pass by silently skipping,
// unless JVS_ALLOW_FS_SKIP=1 (or a comma list such as JVS_ALLOW_FS_SKIP=juicefs) allows it.
// See docs/testing.md for the environment variables.
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const FS_NAMES = ['xfs', 'btrfs', 'ext4', 'juicefs'] as const;
export type FsName = (typeof FS_NAMES)[number];

export interface FsTarget {
  name: FsName;
  /** A writable directory on that filesystem (shared by all tests: make a freshDir in it). */
  dir?: string;
  /** Why the filesystem is not available (set exactly when dir is not). */
  skipReason?: string;
}

export interface JuiceFsDetails {
  /** The juicefs client binary the volume was formatted and mounted with. */
  bin?: string;
  /** Metadata URL, e.g. sqlite3:///tmp/jvs-testfs.x/juicefs/meta.db (for `juicefs gc`, `info`...). */
  meta?: string;
  /** The mount root (inode 1; `.config` and the control file live here). */
  mount?: string;
}

const warned = new Set<FsName>();

export function envVarFor(name: FsName): string {
  return `JVS_TEST_${name.toUpperCase()}`;
}

function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

function skipAllowed(name: FsName): boolean {
  const allow = (process.env.JVS_ALLOW_FS_SKIP ?? '').trim();
  if (allow === '1' || allow === 'true' || allow === 'all') return true;
  return allow
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes(name);
}

/**
 * Where tests for `name` may write, or why they must skip.
 * Throws when the directory is misconfigured (set but not a directory), and under CI when the
 * filesystem is unavailable and JVS_ALLOW_FS_SKIP does not allow skipping it.
 */
export function fsTarget(name: FsName): FsTarget {
  const v = envVarFor(name);
  const dir = process.env[v];
  if (dir) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new Error(`${v}=${dir} is not a directory (set by .ci/run, the globalSetup or your shell)`);
    return { name, dir };
  }
  const skipReason =
    process.env[`${v}_SKIP`] ??
    `${v} is not set (did the vitest globalSetup test/setup/filesystems.ts run? see docs/testing.md)`;
  if (inCI() && !skipAllowed(name)) {
    throw new Error(
      `${name} is required in CI but unavailable: ${skipReason}. ` +
        `Fix the CI machine (see docs/testing.md), or set JVS_ALLOW_FS_SKIP=${name} (or 1) to allow skipping.`,
    );
  }
  if (!warned.has(name)) {
    warned.add(name);
    console.warn(`[jvs-test] ${name} tests skipped: ${skipReason}`);
  }
  return { name, skipReason };
}

/** All four targets, for matrix tests: `describe.each(fsTargets())(...)`. */
export function fsTargets(): FsTarget[] {
  return FS_NAMES.map(fsTarget);
}

/** Names of the filesystems that are available in this run. */
export function availableFs(): FsName[] {
  return FS_NAMES.filter((n) => Boolean(process.env[envVarFor(n)]));
}

/**
 * A new, empty, uniquely named directory on the target's filesystem. Everything under a per-run
 * mount disappears at teardown; call removeTree() yourself if you want to free space earlier or
 * if the dirs were supplied by the environment.
 */
export async function freshDir(target: FsTarget | FsName, label = 't'): Promise<string> {
  const t = typeof target === 'string' ? fsTarget(target) : target;
  if (!t.dir) throw new Error(`freshDir(${t.name}): filesystem unavailable: ${t.skipReason ?? 'unknown reason'}`);
  const safe = label.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60) || 't';
  return mkdtemp(join(t.dir, `${safe}-`));
}

/** rm -rf that also copes with read-only directories (e.g. snapshots made immutable). */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch {
    // fall through: make everything writable, then retry
  }
  const makeWritable = async (p: string): Promise<void> => {
    await chmod(p, 0o700).catch(() => undefined);
    const entries = await readdir(p, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await makeWritable(join(p, e.name));
  };
  await makeWritable(path);
  await rm(path, { recursive: true, force: true });
}

/** Details of the JuiceFS volume (only when JVS_TEST_JUICEFS is available and was created here). */
export function juicefsDetails(): JuiceFsDetails {
  const d: JuiceFsDetails = {};
  const bin = process.env.JVS_TEST_JUICEFS_BIN;
  const meta = process.env.JVS_TEST_JUICEFS_META;
  const mount = process.env.JVS_TEST_JUICEFS_MOUNT;
  if (bin) d.bin = bin;
  if (meta) d.meta = meta;
  if (mount) d.mount = mount;
  return d;
}

/** The JuiceFS control file reachable from `dir` (`.jfs.control` with --prefix-internal, else `.control`). */
export function juicefsControlFile(dir: string): string | undefined {
  for (const name of ['.jfs.control', '.control']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}
