/**
 * Repositories for `bench repo`, under bench/.data/repo/:
 *
 * - a small repository (a 10-file worktree and one snapshot), fresh for every invocation;
 * - a history repository of N snapshots, written directly (sealed descriptors chained by
 *   parent_id, empty snapshot directories, `main`'s head and latest the last one): seconds
 *   instead of N real snapshots; cached;
 * - a diff repository: a 100k-file worktree snapshotted through the library, one file changed,
 *   snapshotted again; with the bytes the second snapshot added to the manifest store and the
 *   `sha256sum` listings of both states; cached.
 *
 * A cached fixture is reused when its marker `<dir>.ok.json` (written last) describes the same
 * layout, like the datasets.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { sealDescriptor, encodeDescriptor, type Descriptor } from '../src/formats/descriptor.js';
import { encodeWorktreeConfig, parseWorktreeConfig } from '../src/formats/worktree-config.js';
import { formatTimestamp } from '../src/encoding/timestamp.js';
import { RepoLayout } from '../src/repo/layout.js';
import { ensureDataset, type DatasetSpec } from './datasets.js';
import { runOurs } from './runner.js';
import { dataRoot, q, repoRoot, run, sh, type ExecOptions, type ExecResult } from './util.js';

/** Bumped whenever a cached fixture's layout changes. */
const FIXTURE_VERSION = 1;

export const fixturesRoot = join(dataRoot, 'repo');

/** The built CLI, run by the current node; JVS_NATIVE=1: fail rather than measure the fallback. */
export const jvsMain = join(repoRoot, 'dist', 'cli', 'main.js');
export const cliEnv: NodeJS.ProcessEnv = { ...process.env, JVS_NATIVE: '1' };

export function jvsArgv(args: string[]): string[] {
  return [process.execPath, jvsMain, ...args];
}

/** Runs the CLI untimed (fixture building); throws on failure. */
export function jvs(args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...rest] = jvsArgv(args);
  return run(cmd as string, rest, { env: cliEnv, ...opts });
}

/** `jvs init <name>` takes a name, created in the current directory. */
export function initRepo(root: string): Promise<ExecResult> {
  return jvs(['init', basename(root)], { cwd: dirname(root) });
}

function sha256hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function readMarker<T extends { v: number }>(marker: string, matches: (m: T) => boolean): T | undefined {
  try {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as T;
    return m.v === FIXTURE_VERSION && matches(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

const quiet = (): void => undefined;

// ---- a small repository ------------------------------------------------------------------------

export interface SmallRepo {
  root: string;
  payload: string;
  /** The worktree file the timed runs rewrite, so that every run snapshots a change. */
  victim: string;
  fileSize: number;
}

/** A fresh repository whose `main` holds `files` × 1 KiB, with one snapshot (its parent). */
export async function smallRepo(name: string, files: number): Promise<SmallRepo> {
  const root = join(fixturesRoot, name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const spec: DatasetSpec = { name: 'main', label: `${files} × 1 KiB`, files, fileSize: 1024, dirs: 0 };
  const ds = await ensureDataset(spec, root, quiet);
  rmSync(join(root, 'main.ok.json'));
  await initRepo(root);
  await jvs(['snapshot', 'bench: first'], { cwd: ds.path });
  const first = readdirSync(ds.path).sort()[0] as string;
  return { root, payload: ds.path, victim: join(ds.path, first), fileSize: spec.fileSize };
}

/** The content of the victim file after its `seq`-th rewrite. */
export function changedContent(size: number, seq: number): Buffer {
  return Buffer.alloc(size, `change ${seq} `);
}

/** Rewrites the victim file (same size, new content). */
export function changeFile(path: string, size: number, seq: number): void {
  writeFileSync(path, changedContent(size, seq));
}

// ---- N snapshots ----------------------------------------------------------------------------------

export interface HistoryRepo {
  v: number;
  snapshots: number;
  root: string;
  head: string;
  /** The mtime (seconds) given to `.jvs/snapshots/` and `.jvs/descriptors/`: long settled. */
  dirMtimeS: number;
}

/** Descriptor `i` of the chain: one a minute from 2026-01-01T00:00:00Z. */
function historyDescriptor(i: number, parent: string | undefined): Descriptor {
  const ms = Date.UTC(2026, 0, 1) + i * 60_000;
  const draft: Omit<Descriptor, 'descriptor_checksum'> = {
    snapshot_id: `${String(ms).padStart(13, '0')}-${sha256hex(`jvs-bench history ${i}`).slice(0, 8)}`,
    worktree_name: 'main',
    created_at: formatTimestamp(BigInt(ms) * 1_000_000n),
    engine: 'copy',
    payload_root_hash: sha256hex(`jvs-bench payload ${i}`),
    integrity_state: 'verified',
    note: `bench snapshot ${i}`,
  };
  if (parent) draft.parent_id = parent;
  if (i % 100 === 99) draft.tags = ['bench-milestone'];
  return sealDescriptor(draft);
}

export async function historyRepo(snapshots: number, log: (m: string) => void): Promise<HistoryRepo> {
  const root = join(fixturesRoot, `history-${snapshots}`);
  const marker = `${root}.ok.json`;
  const cached = readMarker<HistoryRepo>(marker, (m) => m.snapshots === snapshots && m.root === root);
  if (cached && existsSync(root)) return cached;
  log(`building a repository of ${snapshots} snapshots in ${root} …`);
  const t0 = Date.now();
  rmSync(marker, { force: true });
  rmSync(root, { recursive: true, force: true });
  mkdirSync(fixturesRoot, { recursive: true });
  await initRepo(root);
  const layout = new RepoLayout(root);
  let parent: string | undefined;
  for (let i = 0; i < snapshots; i++) {
    const d = historyDescriptor(i, parent);
    writeFileSync(layout.descriptor(d.snapshot_id), encodeDescriptor(d), { mode: 0o644 });
    mkdirSync(layout.snapshotDir(d.snapshot_id));
    parent = d.snapshot_id;
  }
  const head = parent as string;
  const cfg = parseWorktreeConfig(readFileSync(layout.worktreeConfig('main'), 'utf8'));
  writeFileSync(layout.worktreeConfig('main'), encodeWorktreeConfig({ ...cfg, head_snapshot_id: head, latest_snapshot_id: head }));
  const fixture: HistoryRepo = { v: FIXTURE_VERSION, snapshots, root, head, dirMtimeS: Math.floor(Date.now() / 1000) - 3600 };
  settleDirs(fixture);
  writeFileSync(marker, JSON.stringify(fixture));
  log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return fixture;
}

/**
 * Gives `.jvs/snapshots/` and `.jvs/descriptors/` their fixed old mtime again: a catalog cache
 * written after that is trusted without checking the descriptors (catalog.ts, racily-clean rule).
 */
export function settleDirs(h: HistoryRepo): void {
  const layout = new RepoLayout(h.root);
  for (const dir of [layout.snapshotsDir, layout.descriptorsDir]) utimesSync(dir, h.dirMtimeS, h.dirMtimeS);
}

// ---- two snapshots of a big worktree ------------------------------------------------------------

export interface DiffRepo {
  v: number;
  files: number;
  root: string;
  from: string;
  to: string;
  /** The changed file, relative to the worktree. */
  changed: string;
  /** `sha256sum` listings of the worktree before and after the change. */
  listA: string;
  listB: string;
  /** Library snapshot times (first, second), ms. */
  snapshotMs: [number, number];
  engine: string;
  /** What the second snapshot added to `.jvs/ext/manifests/`. */
  manifestAdded: Added;
}

/** path → [size, allocated bytes] of every file under `dir`, not entering the directories `skip` names. */
export function fileSizes(dir: string, out = new Map<string, [number, number]>(), skip?: (path: string) => boolean): Map<string, [number, number]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (!st.isDirectory()) out.set(p, [st.size, st.blocks * 512]);
    else if (!skip?.(p)) fileSizes(p, out, skip);
  }
  return out;
}

export interface Added {
  files: number;
  bytes: number;
  allocated: number;
}

/**
 * What was added between two `fileSizes` listings: new files count whole, files that grew count
 * their growth (an appended log line), `keep` selects the paths (default: all).
 */
export function addedBetween(
  before: Map<string, [number, number]>,
  after: Map<string, [number, number]>,
  keep: (path: string) => boolean = () => true,
): Added {
  const added: Added = { files: 0, bytes: 0, allocated: 0 };
  for (const [p, [size, allocated]] of after) {
    if (!keep(p)) continue;
    const [oldSize, oldAllocated] = before.get(p) ?? [0, 0];
    if (size <= oldSize) continue;
    added.files++;
    added.bytes += size - oldSize;
    added.allocated += Math.max(0, allocated - oldAllocated);
  }
  return added;
}

export async function sha256Listing(dir: string, out: string): Promise<void> {
  await sh(`cd ${q(dir)}; find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum > ${q(out)}`);
}

async function librarySnapshot(root: string): Promise<{ id: string; engine: string; ms: number }> {
  const { report } = await runOurs('native', ['snapshot', root]);
  const r = report.result ?? {};
  if (typeof r['id'] !== 'string') throw new Error(`library snapshot of ${root} returned no id`);
  return { id: r['id'], engine: String(r['engine']), ms: report.ms ?? Number.NaN };
}

export async function diffRepo(spec: DatasetSpec, log: (m: string) => void): Promise<DiffRepo> {
  const root = join(fixturesRoot, `diff-${spec.name}`);
  const marker = `${root}.ok.json`;
  const cached = readMarker<DiffRepo>(marker, (m) => m.files === spec.files && m.root === root);
  if (cached && existsSync(root)) return cached;
  log(`building the diff repository (${spec.label}, two library snapshots) in ${root} …`);
  const t0 = Date.now();
  rmSync(marker, { force: true });
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const ds = await ensureDataset({ ...spec, name: 'main' }, root, log);
  rmSync(join(root, 'main.ok.json'));
  await initRepo(root);
  const listA = `${root}.a.sha256`;
  const listB = `${root}.b.sha256`;
  await sha256Listing(ds.path, listA);
  const first = await librarySnapshot(root);
  log(`  first snapshot: ${(first.ms / 1000).toFixed(1)} s`);
  const manifests = new RepoLayout(root).manifestsDir;
  const before = fileSizes(manifests);
  const changed = (readFileSync(listA, 'utf8').split('\n')[0] ?? '').slice(66).replace(/^\.\//, '');
  changeFile(join(ds.path, changed), spec.fileSize, 1);
  await sha256Listing(ds.path, listB);
  const second = await librarySnapshot(root);
  log(`  second snapshot: ${(second.ms / 1000).toFixed(1)} s`);
  const added = addedBetween(before, fileSizes(manifests));
  const fixture: DiffRepo = {
    v: FIXTURE_VERSION,
    files: spec.files,
    root,
    from: first.id,
    to: second.id,
    changed,
    listA,
    listB,
    snapshotMs: [first.ms, second.ms],
    engine: second.engine,
    manifestAdded: added,
  };
  writeFileSync(marker, JSON.stringify(fixture));
  log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return fixture;
}
