/**
 * Which engine materializes a tree (CONTRACT §6.1): environment overrides, then what the
 * repository's file system offers. Stored names (descriptor `engine`) are `juicefs-clone`,
 * `reflink-copy`, `copy` (and ours `btrfs-snapshot`); the core's engines are `juicefs`,
 * `reflink`, `copy`.
 */
import { mkdir, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

import { isSubvolume } from '../fs/subvolume.js';
import { getCore, type EngineName } from '../native/index.js';

export type StoredEngine = 'juicefs-clone' | 'reflink-copy' | 'copy' | 'btrfs-snapshot';

export const STORED_TO_CORE: Record<Exclude<StoredEngine, 'btrfs-snapshot'>, EngineName> = {
  'juicefs-clone': 'juicefs',
  'reflink-copy': 'reflink',
  copy: 'copy',
};

export const CORE_TO_STORED: Record<EngineName, StoredEngine> = {
  juicefs: 'juicefs-clone',
  reflink: 'reflink-copy',
  copy: 'copy',
};

const JVS_ENGINE: Record<string, StoredEngine> = { juicefs: 'juicefs-clone', reflink: 'reflink-copy', copy: 'copy' };
const SNAPSHOT_ENGINE = new Set<string>(['juicefs-clone', 'reflink-copy', 'copy']);

export interface EngineChoice {
  engine: StoredEngine;
  /** `warning: ignoring <VAR>=<value>` lines to print (§6.1 step 2). */
  warnings: string[];
}

/** Steps 1–2: the environment, or undefined when it names nothing valid. */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): EngineChoice | { engine: undefined; warnings: string[] } {
  const warnings: string[] = [];
  const a = env['JVS_ENGINE'];
  if (a) {
    const e = JVS_ENGINE[a];
    if (e) return { engine: e, warnings };
    warnings.push(`ignoring JVS_ENGINE=${a}`);
  }
  const b = env['JVS_SNAPSHOT_ENGINE'];
  if (b) {
    if (SNAPSHOT_ENGINE.has(b)) return { engine: b as StoredEngine, warnings };
    warnings.push(`ignoring JVS_SNAPSHOT_ENGINE=${b}`);
  }
  return { engine: undefined, warnings };
}

/** Mount points of JuiceFS file systems (fstype containing "juicefs"), from /proc/mounts. */
function juicefsMounts(): string[] {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 2 && /juicefs/i.test(f[2]!))
      .map((f) => f[1]!.replace(/\\040/g, ' '));
  } catch {
    return [];
  }
}

/** Whether `path` is on a JuiceFS mount: the mount point is a path-component prefix of it. */
export function onJuicefs(path: string): boolean {
  return juicefsMounts().some((m) => m === path || m === '/' || path.startsWith(m.endsWith('/') ? m : `${m}/`));
}

/**
 * Whether reflink works, per file system (device) of `.jvs/ext/tmp/`: probing creates and
 * clones a file, which would otherwise be paid on every snapshot of a long-lived process (an
 * agent calling the library). §6.1 allows caching the result per device.
 */
const reflinkByDevice = new Map<number, boolean>();

async function reflinkWorks(extTmp: string): Promise<boolean> {
  await mkdir(extTmp, { recursive: true });
  const dev = (await stat(extTmp)).dev;
  const known = reflinkByDevice.get(dev);
  if (known !== undefined) return known;
  const works = (await getCore().probe(extTmp)).some((p) => p.engine === 'reflink' && p.ok);
  reflinkByDevice.set(dev, works);
  return works;
}

/**
 * Steps 3–5 for a repository: JuiceFS when the root is on a JuiceFS mount, else reflink when a
 * probe in `.jvs/ext/tmp/` succeeds, else copy. Step 3b is the snapshot's (selectSnapshotEngine).
 */
export async function detectEngine(repoRoot: string, extTmp: string): Promise<StoredEngine> {
  if (onJuicefs(repoRoot)) return 'juicefs-clone';
  try {
    if (await reflinkWorks(extTmp)) return 'reflink-copy';
  } catch {
    // A probe that cannot run says nothing works beyond copy.
  }
  return 'copy';
}

/** The engine for a materialization: environment first, then detection. */
export async function selectEngine(repoRoot: string, extTmp: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineChoice> {
  const fromEnv = engineFromEnv(env);
  if (fromEnv.engine) return fromEnv as EngineChoice;
  return { engine: await detectEngine(repoRoot, extTmp), warnings: fromEnv.warnings };
}

/**
 * The engine for a snapshot of `payload`: as selectEngine, plus step 3b — `btrfs-snapshot` when
 * the payload is a btrfs subvolume (and the repository is not on JuiceFS).
 */
export async function selectSnapshotEngine(repoRoot: string, extTmp: string, payload: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineChoice> {
  const fromEnv = engineFromEnv(env);
  if (!fromEnv.engine && !onJuicefs(repoRoot) && (await isSubvolume(payload))) return { engine: 'btrfs-snapshot', warnings: fromEnv.warnings };
  return selectEngine(repoRoot, extTmp, env);
}
