/**
 * `bench delta`: the targets of issue 4 ("snapshots, restores and status that cost what
 * changed"). On each filesystem (the local one of bench/.data — ext4 here —, XFS and btrfs on
 * loop devices) and each dataset, a repository is set up (`jvs init`, the dataset as `main`, a
 * first snapshot), then every round runs, interleaved, whole CLI processes:
 *
 * - ours: `jvs snapshot` after one file was rewritten (same size), `jvs status --json` with that
 *   one change, `jvs restore <previous>` (the worktree one file away from it);
 * - baselines: the filesystem's per-file floor for the tree (`cp -al` on ext4, `cp -a
 *   --reflink=always` on XFS and btrfs, into a scratch directory deleted outside the timing),
 *   `find <tree> -printf '%s %T@\n'`, and (100k and 10 GiB) a full materialisation
 *   (`jvs worktree fork <snapshot> <name>`) and a first snapshot in a new repository.
 *
 * Each round also records the bytes the snapshot added to the repository's metadata (all of
 * .jvs/ but the payload copies in .jvs/snapshots/), and after the rounds the library diffs two
 * snapshots one file apart (dist/index.js, in a long-lived process). Every timed command must
 * exit 0; status must report exactly the one change, and after every restore `jvs status --json`
 * must be clean at the restored snapshot and the changed file must hold that snapshot's bytes.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { RepoLayout } from '../src/repo/layout.js';
import { cpA, removeTree, syncAll } from './baselines.js';
import { datasets, ensureDataset, relPath, type Dataset, type DatasetSpec } from './datasets.js';
import type { BenchOptions, CommandOutcome } from './options.js';
import { check, type DatasetRun, type TargetCheck } from './report.js';
import { addedBetween, changedContent, cliEnv, fileSizes, initRepo, jvs, jvsArgv, jvsMain, sha256Listing, type Added } from './repo-fixtures.js';
import { childLoop, datasetOf, failureText, groupRun, timeTarget, type Ctx, type Group } from './repo.js';
import { commandContender, fmtMs, ratioOf, runInterleaved, type Contender, type ContenderResult, type Sample } from './runner.js';
import { median } from './stats.js';
import { dataRoot, onCleanup, q, repoRoot, run, sh, type ExecResult } from './util.js';
import { fsType, setupLoopFs, type LoopFs } from './xfs.js';

/** The issue-4 datasets; `onRequest` ones run only when --dataset names them, or with --full. */
interface DeltaDataset {
  /** What --dataset matches (besides the dataset's name and label). */
  key: string;
  spec: (scale: number) => DatasetSpec;
  onRequest: boolean;
  /** Run the costly baselines: a full materialisation (fork) and a first snapshot in a new repository. */
  materialise: boolean;
  /** Diff two snapshots one file apart through the library after the rounds. */
  diff: boolean;
}

const DELTA_DATASETS: DeltaDataset[] = [
  { key: '100k', spec: datasets.kib100k, onRequest: false, materialise: true, diff: true },
  { key: '10GiB', spec: datasets.mib10x1000, onRequest: true, materialise: true, diff: false },
  { key: '1M', spec: datasets.empty1m, onRequest: true, materialise: false, diff: false },
];

const FILESYSTEMS = ['ext4', 'xfs', 'btrfs'] as const;

/** Library diffs per --runs, and warm-up iterations. */
const DIFF_ROUNDS = 4;
const DIFF_WARMUP = 2;
/** The changed file of a dataset of empty files gets this many bytes (a rewrite of 0 bytes is no change). */
const EMPTY_VICTIM_SIZE = 64;
const FORK_NAME = 'bench-fork';

const SNAPSHOT = 'jvs snapshot';
const FIRST_SETUP = 'jvs snapshot (first, setup)';
const FIRST_NEW = 'jvs snapshot (first, new repo)';
const STATUS = 'jvs status';
const RESTORE = 'jvs restore (previous)';
const FORK = 'jvs worktree fork';
const FIND = "find -printf '%s %T@\\n'";

const LEGEND =
  'median/min/max: whole processes (spawn → exit): our CLI `node dist/cli/main.js …` with JVS_NATIVE=1, and the baselines; ' +
  '`library diff` is one call inside a long-lived process importing dist/index.js, alternating with its baseline (`sha256sum lists → Map`). ' +
  'Before every timed run (untimed): the state it needs (one file rewritten for snapshot and status; a clean worktree one snapshot after its ' +
  'parent for restore; the scratch copy removed), then `sync`. `jvs snapshot (first, setup)` is the repository\'s first snapshot, timed once; ' +
  '`jvs snapshot (first, new repo)` is a first snapshot of the same tree in a new repository, every round. ' +
  'CPU: user+sys (GNU time, median). peak RSS: GNU time\'s %M (the largest process), max over the runs. ' +
  'vs baseline: ours median / baseline median (in parentheses: the median of per-round ratios); the baseline of each group is its ' +
  'non-`jvs` row, `jvs worktree fork` for restore, and the new repository\'s first snapshot for the 10 GiB snapshot group.';

interface FsTarget {
  /** ext4 (the local filesystem of bench/.data), xfs or btrfs. */
  name: string;
  /** Its type as mounted. */
  type: string;
  root: string;
  /** The per-file floor of copying the tree on this filesystem. */
  floor: { name: string; argv: (src: string, dst: string) => string[] };
}

function floorOf(type: string): FsTarget['floor'] {
  return type === 'xfs' || type === 'btrfs'
    ? { name: 'cp -a --reflink=always', argv: (src, dst) => cpA(src, dst, 'always') }
    : { name: 'cp -al', argv: (src, dst) => ['cp', '-al', src, dst] };
}

// ---- the repository under test and its lineage ------------------------------------------------

interface StatusJson {
  head_snapshot_id: string;
  detached: boolean;
  clean: boolean;
  modified: { path: string }[] | null;
  total_added: number;
  total_removed: number;
  total_modified: number;
}

function changes(s: StatusJson): string {
  return `${s.total_added} added, ${s.total_removed} removed, ${s.total_modified} modified`;
}

/**
 * The repository of one dataset and what the bench knows of it: the head, each snapshot's parent,
 * and which content of the changed file (the "victim") each snapshot holds. Each prepare step puts
 * the repository in the state its timed command needs. A timed command of ours that failed leaves
 * the state unknown: everything that needs the state fails after it, rather than measuring
 * something else.
 */
class Lineage {
  head = '';
  latest = '';
  detached = false;
  readonly parent = new Map<string, string>();
  /** Snapshot id → the victim content it holds (0: as generated, n: the n-th rewrite). */
  readonly seqOf = new Map<string, number>();
  /** The victim content in the worktree. */
  seq = 0;
  private rewrites = 0;
  /** The timed command of ours in flight: set in prepare, cleared in after. */
  private running: string | undefined;

  constructor(
    readonly root: string,
    readonly payload: string,
    readonly victimRel: string,
    readonly victimSize: number,
    private readonly original: Buffer,
  ) {}

  get victim(): string {
    return join(this.payload, this.victimRel);
  }

  content(seq: number): Buffer {
    return seq === 0 ? this.original : changedContent(this.victimSize, seq);
  }

  private write(seq: number): void {
    writeFileSync(this.victim, this.content(seq));
    this.seq = seq;
  }

  /** Rewrites the victim with new content of the same size. */
  change(): void {
    this.write(++this.rewrites);
  }

  /** Makes the worktree equal its head again (the victim back to the head's content). */
  revert(): void {
    const want = this.seqOf.get(this.head) ?? 0;
    if (this.seq !== want) this.write(want);
  }

  /** Records the snapshot `jvs snapshot` reports having made of the worktree; returns its id. */
  created(r: ExecResult): string {
    const id = /Created snapshot (\S+)/.exec(r.stdout)?.[1];
    if (!id) throw new Error(`jvs snapshot: no snapshot id in its output: ${r.stdout.slice(0, 300)}`);
    if (this.head) this.parent.set(id, this.head);
    this.seqOf.set(id, this.seq);
    this.head = this.latest = id;
    return id;
  }

  private known(): void {
    if (this.running) throw new Error(`the repository's state is unknown: ${this.running} failed before`);
  }

  begin(what: string): void {
    this.known();
    this.running = what;
  }

  end(): void {
    this.running = undefined;
  }

  /** Back on the latest snapshot (`jvs restore HEAD`, untimed) when a restore left the worktree detached. */
  async attach(): Promise<void> {
    this.known();
    if (!this.detached) return;
    await jvs(['restore', 'HEAD'], { cwd: this.payload });
    this.detached = false;
    this.head = this.latest;
    this.seq = this.seqOf.get(this.latest) ?? 0;
  }

  /** An untimed snapshot of the worktree as it is. */
  async snapshot(note: string): Promise<string> {
    return this.created(await jvs(['snapshot', note], { cwd: this.payload }));
  }

  /** Clean, attached, the head one change after its parent: what a timed restore needs. Returns the parent. */
  async readyToRestore(): Promise<string> {
    await this.attach();
    this.revert();
    if (!this.parent.has(this.head)) {
      this.change();
      await this.snapshot('bench: a parent to restore');
    }
    return this.parent.get(this.head) as string;
  }

  /** After a restore of `id`: throws unless the worktree is clean at `id` and the victim holds `id`'s bytes. */
  async restored(id: string): Promise<void> {
    this.detached = true;
    this.head = id;
    this.seq = this.seqOf.get(id) ?? 0;
    const s = JSON.parse((await jvs(['status', '--json'], { cwd: this.payload })).stdout) as StatusJson;
    if (!s.clean || s.head_snapshot_id !== id) {
      throw new Error(`after restoring ${id}: status says head ${s.head_snapshot_id}, clean ${String(s.clean)} (${changes(s)})`);
    }
    if (!readFileSync(this.victim).equals(this.content(this.seq))) {
      throw new Error(`after restoring ${id}: ${this.victimRel} does not hold that snapshot's content`);
    }
  }
}

// ---- checks and measures ----------------------------------------------------------------------

/** Throws unless `dir` has room for one more full copy of the dataset (the worst case of any step). */
function needRoom(dir: string, ds: Dataset): void {
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  const bytes = ds.bytes * 1.1 + 2 ** 30;
  const inodes = (ds.files + ds.dirs) * 1.1 + 10_000;
  const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (free < bytes) throw new Error(`not enough space on ${dir}: ${gib(free)} free, a full copy of the tree needs ${gib(bytes)}`);
  // btrfs reports no inode limit (files = 0).
  if (st.files > 0 && st.ffree < inodes) throw new Error(`not enough inodes on ${dir}: ${st.ffree} free, a full copy needs ${Math.round(inodes)}`);
}

async function countFiles(dir: string): Promise<number> {
  return Number((await sh(`find ${q(dir)} -type f | wc -l`)).stdout.trim());
}

/** path → [size, allocated] of the repository's metadata: all of .jvs/ but the snapshot payloads. */
function metadataSizes(layout: RepoLayout): Map<string, [number, number]> {
  return fileSizes(layout.jvs, new Map(), (p) => p === layout.snapshotsDir);
}

/** Where under .jvs/ a metadata file is: `ext/manifests`, `descriptors`, `audit`, `ext/catalog.jsonl`… */
function areaOf(layout: RepoLayout, path: string): string {
  const parts = path.slice(layout.jvs.length + 1).split('/');
  return parts.slice(0, parts[0] === 'ext' ? 2 : 1).join('/');
}

/** Bytes added per area between two metadata listings. */
function addedByArea(layout: RepoLayout, before: Map<string, [number, number]>, after: Map<string, [number, number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of after.keys()) {
    const a = areaOf(layout, p);
    const { bytes } = addedBetween(before, after, (x) => x === p);
    if (bytes > 0) out[a] = (out[a] ?? 0) + bytes;
  }
  return out;
}

const kib = (b: number): string => (b < 1024 ? `${Math.round(b)} B` : `${(b / 1024).toFixed(1)} KiB`);

// ---- one dataset on one filesystem ------------------------------------------------------------

interface Setup {
  spec: DatasetSpec;
  ds: Dataset;
  lineage: Lineage;
  layout: RepoLayout;
  /** The first snapshot, timed once. */
  first: ContenderResult;
}

async function setUp(ctx: Ctx, fs: FsTarget, spec: DatasetSpec): Promise<Setup> {
  const root = join(fs.root, `delta-${spec.name}`);
  await removeTree(root);
  // `jvs init` first, so that `main` is what init makes of it (a btrfs subvolume where it can);
  // the dataset, generated once beside it, is then copied in (reflinked where possible).
  mkdirSync(root);
  await initRepo(root);
  const data = await ensureDataset({ ...spec, name: `${spec.name}-data` }, fs.root, ctx.opts.log);
  await run('cp', ['-a', '--reflink=auto', `${data.path}/.`, join(root, 'main')]);
  const ds: Dataset = { ...data, path: join(root, 'main') };
  const victimRel = relPath(ds, 0);
  const lineage = new Lineage(root, ds.path, victimRel, ds.fileSize || EMPTY_VICTIM_SIZE, readFileSync(join(ds.path, victimRel)));
  ctx.opts.log(`\n${ds.label} on ${fs.type}: the first snapshot`);
  const [first] = await runInterleaved(
    [
      commandContender(FIRST_SETUP, () => jvsArgv(['snapshot', 'bench: first']), {
        exec: { env: cliEnv, cwd: ds.path },
        prepare: syncAll,
        check: (r) => void lineage.created(r),
      }),
    ],
    { runs: 1, log: ctx.opts.log },
  );
  if (!first || first.error) throw new Error(`the first snapshot failed: ${first?.error ?? '?'}`);
  return { spec, ds: { ...ds, name: spec.name }, lineage, layout: new RepoLayout(root), first };
}

function contenders(ctx: Ctx, fs: FsTarget, d: DeltaDataset, { ds, lineage, layout }: Setup): Contender[] {
  const cwd = lineage.payload;
  const exec = { env: cliEnv, cwd };
  const list: Contender[] = [];

  // Ours: a snapshot after one change, and the metadata it added.
  let before = new Map<string, [number, number]>();
  list.push(
    commandContender(SNAPSHOT, () => jvsArgv(['snapshot']), {
      kind: 'ours',
      exec,
      prepare: async () => {
        await lineage.attach();
        needRoom(fs.root, ds);
        lineage.change();
        before = metadataSizes(layout);
        await syncAll();
        lineage.begin(SNAPSHOT);
      },
      check: (r) => void lineage.created(r),
      after: async (sample: Sample) => {
        lineage.end();
        const after = metadataSizes(layout);
        sample.info = {
          ...sample.info,
          id: lineage.head,
          metadata: addedBetween(before, after),
          manifests: addedBetween(before, after, (p) => p.startsWith(`${layout.manifestsDir}/`)),
          byArea: addedByArea(layout, before, after),
        };
      },
    }),
  );

  // Ours: status with that one change; the worktree is made clean again afterwards.
  list.push(
    commandContender(STATUS, () => jvsArgv(['status', '--json']), {
      kind: 'ours',
      exec,
      prepare: async () => {
        await lineage.attach();
        lineage.change();
        await syncAll();
      },
      check: (r) => {
        const s = JSON.parse(r.stdout) as StatusJson;
        const path = s.modified?.[0]?.path;
        if (s.total_added !== 0 || s.total_removed !== 0 || s.total_modified !== 1 || path !== lineage.victimRel) {
          throw new Error(`jvs status: expected 1 modified (${lineage.victimRel}), got ${changes(s)}${path ? ` (${path})` : ''}`);
        }
      },
      after: async () => lineage.revert(),
    }),
  );

  // Ours: restore the previous snapshot, one file away; verified, and left detached.
  let target = '';
  list.push(
    commandContender(RESTORE, () => jvsArgv(['restore', target]), {
      kind: 'ours',
      exec,
      prepare: async () => {
        target = await lineage.readyToRestore();
        await syncAll();
        lineage.begin(RESTORE);
      },
      check: (r) => {
        if (!r.stdout.includes(`Restored to snapshot ${target}`) || r.stdout.includes('Saved unsnapshotted')) {
          throw new Error(`jvs restore ${target}: unexpected output: ${r.stdout.slice(0, 300)}`);
        }
      },
      after: async () => {
        lineage.end();
        await lineage.restored(target);
      },
    }),
  );

  // Baseline: the per-file floor of copying the tree on this filesystem (the copy removed untimed).
  const scratch = join(fs.root, 'delta-floor');
  let counted = false;
  list.push(
    commandContender(fs.floor.name, () => fs.floor.argv(cwd, scratch), {
      prepare: async () => {
        await removeTree(scratch);
        await syncAll();
      },
      after: async () => {
        if (!counted) {
          const n = await countFiles(scratch);
          if (n !== ds.files) throw new Error(`${fs.floor.name}: the copy has ${n} files, expected ${ds.files}`);
          counted = true;
        }
        await removeTree(scratch);
      },
    }),
  );

  // Baseline: one stat per entry, printed.
  list.push(
    commandContender(FIND, () => ['find', cwd, '-printf', '%s %T@\\n'], {
      prepare: syncAll,
      check: (r) => {
        const lines = r.stdout.split('\n').length - 1;
        if (lines < ds.files + ds.dirs + 1) throw new Error(`find printed ${lines} lines, expected ${ds.files + ds.dirs + 1}`);
      },
    }),
  );

  if (d.materialise) {
    // Baseline: a full materialisation of the latest snapshot as a new worktree (removed untimed).
    let forked = '';
    list.push(
      commandContender(FORK, () => jvsArgv(['worktree', 'fork', forked, FORK_NAME]), {
        exec,
        prepare: async () => {
          needRoom(fs.root, ds);
          forked = lineage.latest;
          await syncAll();
        },
        after: async () => {
          const dir = join(lineage.root, 'worktrees', FORK_NAME);
          if (!readFileSync(join(dir, lineage.victimRel)).equals(lineage.content(lineage.seqOf.get(forked) ?? 0))) {
            throw new Error(`the fork of ${forked} does not hold its content`);
          }
          const n = await countFiles(dir);
          if (n !== ds.files) throw new Error(`the fork has ${n} files, expected ${ds.files}`);
          await jvs(['worktree', 'remove', FORK_NAME], { cwd });
        },
      }),
    );
    // Baseline: a first snapshot of the same tree in a new repository (a copy made untimed:
    // reflinked where the filesystem can, never hard-linked, which a snapshot would report).
    const fresh = join(fs.root, 'delta-new-repo');
    list.push(
      commandContender(FIRST_NEW, () => jvsArgv(['snapshot', 'bench: first']), {
        exec: { env: cliEnv, cwd: join(fresh, 'main') },
        prepare: async () => {
          await removeTree(fresh);
          needRoom(fs.root, ds);
          mkdirSync(fresh, { recursive: true });
          await initRepo(fresh);
          await run('cp', ['-a', '--reflink=auto', `${cwd}/.`, join(fresh, 'main')]);
          await syncAll();
        },
        check: (r) => {
          if (!/Created snapshot/.test(r.stdout)) throw new Error(`${FIRST_NEW}: unexpected output: ${r.stdout.slice(0, 300)}`);
        },
        after: () => removeTree(fresh),
      }),
    );
  }
  return list.filter((c) => ctx.keep(c.name));
}

/** The engine of a snapshot, from its descriptor. */
function engineOf(layout: RepoLayout, id: string): string {
  try {
    return String((JSON.parse(readFileSync(layout.descriptor(id), 'utf8')) as { engine?: unknown }).engine);
  } catch {
    return 'unknown';
  }
}

/** `ours / baseline ≤ limit` on the medians, with the paired ratio and both medians. */
function ratioTarget(d: DatasetRun, ours: string, baseline: string, workload: string, limit: number): TargetCheck[] {
  const r = d.results.find((x) => x.name === ours);
  if (!r) return []; // filtered out with --only
  const target = `≤ ${limit} × \`${baseline}\``;
  const ratio = ratioOf(d.results, ours, baseline);
  if (!ratio) {
    const why = r.time.n === 0 ? failureText(r.error) : `no \`${baseline}\` to compare with`;
    return [check(workload, ours, Number.NaN, '<=', limit, why, target, false)];
  }
  const base = d.results.find((x) => x.name === baseline) as ContenderResult;
  const measured = `${ratio.ratio.toFixed(3)} × (paired ${ratio.paired.toFixed(3)}): ${fmtMs(r.time.median)} vs ${fmtMs(base.time.median)}`;
  return [check(workload, ours, ratio.ratio, '<=', limit, measured, target, false)];
}

/** The per-snapshot metadata target (100k), and the per-area medians as a note. */
function metadataTarget(d: DatasetRun, workload: string, notes: string[]): TargetCheck[] {
  const r = d.results.find((x) => x.name === SNAPSHOT);
  if (!r) return [];
  const infos = r.samples.flatMap((s) => (s?.info?.['metadata'] ? [s.info] : []));
  if (infos.length === 0) return [check(workload, SNAPSHOT, Number.NaN, '<=', 64 * 1024, failureText(r.error), '≤ 64 KiB', false)];
  const total = median(infos.map((i) => (i['metadata'] as Added).bytes));
  const manifests = median(infos.map((i) => (i['manifests'] as Added).bytes));
  const max = Math.max(...infos.map((i) => (i['metadata'] as Added).bytes));
  const areas = new Set(infos.flatMap((i) => Object.keys(i['byArea'] as Record<string, number>)));
  const parts = [...areas].sort().map((a) => `${a} ${kib(median(infos.map((i) => (i['byArea'] as Record<string, number>)[a] ?? 0)))}`);
  notes.push(`metadata added per snapshot (median of ${infos.length}, by place under .jvs/): ${parts.join(', ')}`);
  const measured = `${kib(total)} in all, ${kib(manifests)} of it under .jvs/ext/manifests/ (median of ${infos.length}; max ${kib(max)})`;
  return [check(workload, SNAPSHOT, total, '<=', 64 * 1024, measured, '≤ 64 KiB', false)];
}

/** Peak RSS ≤ 300 MB of a contender (max over its runs). */
function rssTarget(d: DatasetRun, name: string, workload: string): TargetCheck[] {
  const r = d.results.find((x) => x.name === name);
  if (!r) return [];
  const mb = r.peakRssKiB === undefined ? Number.NaN : (r.peakRssKiB * 1024) / 1e6;
  const measured = r.peakRssKiB === undefined ? (r.time.n === 0 ? failureText(r.error) : 'not measured (GNU time missing)') : `${mb.toFixed(0)} MB`;
  return [check(workload, name, mb, '<=', 300, measured, '≤ 300 MB', false)];
}

/** After the rounds: `repo.diff` of two snapshots one file apart, from dist/index.js, against `sha256sum` listings. */
async function diffGroup(ctx: Ctx, { spec, ds, lineage }: Setup): Promise<Group> {
  await lineage.attach();
  lineage.revert();
  const [listA, listB] = [`${lineage.root}.a.sha256`, `${lineage.root}.b.sha256`];
  try {
    await sha256Listing(lineage.payload, listA);
    const from = lineage.head;
    lineage.change();
    const to = await lineage.snapshot('bench: diff');
    await sha256Listing(lineage.payload, listB);
    const iterations = ctx.opts.runs * DIFF_ROUNDS;
    ctx.opts.log(`diff of two ${ds.label} snapshots: ${DIFF_WARMUP} warm-up + ${iterations} iterations in one process`);
    const { out, wallMs } = await childLoop(ctx, ['diff-loop-dist', lineage.root, from, to, listA, listB, String(iterations), String(DIFF_WARMUP)]);
    const baseline = out.results.find((r) => r.kind === 'baseline')?.name ?? 'sha256sum lists → Map';
    const run = groupRun(ctx, datasetOf(`delta-diff-${spec.name}`, `${ds.label}: library diff`, ds.files, lineage.root), baseline, out.results, [
      `\`Repository.openAt(root).diff({from, to})\` imported from dist/index.js, two snapshots one file apart (${lineage.victimRel}); ` +
        `${iterations} timed iterations after ${DIFF_WARMUP} warm-up rounds in one process (${fmtMs(wallMs)} in all)`,
    ]);
    return { run, targets: timeTarget(run, 'library diff', `diff of two ${ds.label} snapshots 1 file apart, library${ctx.q}`, 50, false) };
  } finally {
    rmSync(listA, { force: true });
    rmSync(listB, { force: true });
  }
}

async function benchDataset(ctx: Ctx, fs: FsTarget, d: DeltaDataset): Promise<Group[]> {
  const spec = d.spec(ctx.opts.scale);
  const setup = await setUp(ctx, fs, spec);
  const { ds, lineage, layout } = setup;
  const on = `${ds.label} on ${fs.type}`;
  ctx.opts.log(`${on}: ${ctx.opts.runs} rounds`);
  const results = await runInterleaved(contenders(ctx, fs, d, setup), { runs: ctx.opts.runs, log: ctx.opts.log });
  const pick = (...names: string[]): ContenderResult[] => [...(names.includes(FIRST_SETUP) ? [setup.first] : []), ...results.filter((r) => names.includes(r.name))];
  const row = (what: string): DatasetRun['dataset'] => datasetOf(`delta-${what}-${spec.name}`, `${ds.label}: ${what}`, ds.files, lineage.root);
  const q = ctx.q;
  const is10GiB = d.key === '10GiB';

  const snapshotNotes = [
    `each \`jvs snapshot\` after an untimed rewrite of ${lineage.victimRel} (${lineage.victimSize} bytes, same size every time); ` +
      `engine of the last snapshot: ${engineOf(layout, lineage.latest)}; the first snapshot (setup) took ${fmtMs(setup.first.time.median)}`,
  ];
  const snapshot = groupRun(ctx, row('snapshot'), is10GiB ? FIRST_NEW : fs.floor.name, pick(SNAPSHOT, FIRST_SETUP, fs.floor.name, FIRST_NEW), snapshotNotes);
  const status = groupRun(ctx, row('status'), FIND, pick(STATUS, FIND), [
    '`jvs status --json` with one file rewritten since the head (it must report exactly that file)',
  ]);
  const restore = groupRun(ctx, row('restore'), FORK, pick(RESTORE, FORK), [
    '`jvs restore <parent of head>` from a clean worktree one file away; then `jvs status --json` must be clean at that snapshot and the file must hold its bytes',
  ]);

  const targets: TargetCheck[] = [];
  if (d.key === '100k') {
    targets.push(
      ...(fs.type === 'btrfs'
        ? timeTarget(snapshot, SNAPSHOT, `snapshot after 1 change, ${on}${q}`, 500, false)
        : ratioTarget(snapshot, SNAPSHOT, fs.floor.name, `snapshot after 1 change, ${on}${q}`, 1.3)),
      ...timeTarget(restore, RESTORE, `restore of the previous snapshot after 1 change, ${on}${q}`, 500, false),
      ...ratioTarget(status, STATUS, FIND, `\`jvs status\` with 1 change, ${on}${q}`, 3),
      ...metadataTarget(snapshot, `metadata added by a snapshot after 1 change, ${on}${q}`, snapshot.notes),
    );
  } else if (is10GiB) {
    targets.push(
      ...ratioTarget(snapshot, SNAPSHOT, FIRST_NEW, `snapshot after 1 change vs a first snapshot, ${on}${q}`, 0.03),
      ...ratioTarget(restore, RESTORE, FORK, `restore of the previous snapshot vs a full materialisation, ${on}${q}`, 0.03),
    );
  } else {
    if (fs.type === 'btrfs') targets.push(...timeTarget(snapshot, SNAPSHOT, `snapshot after 1 change, ${on}${q}`, 500, false));
    for (const [run, name] of [[snapshot, FIRST_SETUP], [snapshot, SNAPSHOT], [status, STATUS]] as const) {
      targets.push(...rssTarget(run, name, `peak RSS of \`${name.replace(/^jvs /, '')}\`, ${on}${q}`));
    }
  }
  const groups: Group[] = [{ run: snapshot, targets }, { run: status, targets: [] }, { run: restore, targets: [] }];
  if (d.diff && ctx.keep('library diff')) groups.push(await diffGroup(ctx, setup));
  return groups;
}

// ---- the command ------------------------------------------------------------------------------

/** A sparse image big enough for the largest selected dataset, its snapshots and scratch copies. */
function imageGiB(specs: DatasetSpec[]): number {
  const need = specs.map((s) => Math.ceil((s.files * s.fileSize * 3 + s.files * 16 * 1024) / 2 ** 30) + 2);
  return Math.max(4, ...need);
}

function selected(opts: BenchOptions): DeltaDataset[] {
  if (opts.dataset.length === 0) return DELTA_DATASETS.filter((d) => opts.full || !d.onRequest);
  return DELTA_DATASETS.filter((d) => {
    const s = d.spec(opts.scale);
    return opts.dataset.some((f) => d.key.toLowerCase() === f || s.name.toLowerCase().includes(f) || s.label.toLowerCase().includes(f));
  });
}

export async function benchDelta(opts: BenchOptions): Promise<CommandOutcome> {
  if (!existsSync(jvsMain)) throw new Error(`${jvsMain} is missing: run npm run build:ts`);
  const wanted = selected(opts);
  if (wanted.length === 0) throw new Error(`--dataset ${opts.dataset.join(',')} matches none of ${DELTA_DATASETS.map((d) => d.key).join(', ')}`);
  const runs: DatasetRun[] = [];
  const targets: TargetCheck[] = [];
  const skipped: string[] = [];
  const reference: Record<string, unknown> = {
    CLI: `\`node ${relative(repoRoot, jvsMain)}\` (built ${statSync(jvsMain).mtime.toISOString()}) with JVS_NATIVE=1; library diff from dist/index.js`,
  };
  for (const name of FILESYSTEMS.filter((f) => opts.fs.length === 0 || opts.fs.includes(f) || (f === 'ext4' && opts.fs.includes('local')))) {
    let root: string;
    let type: string;
    let teardown = async (): Promise<void> => {};
    if (name === 'ext4') {
      root = join(dataRoot, 'delta');
      mkdirSync(root, { recursive: true });
      type = await fsType(root);
    } else {
      const size = imageGiB(wanted.map((d) => d.spec(opts.scale)));
      const got = await setupLoopFs(name as LoopFs, size, opts.log);
      if ('skipped' in got) {
        skipped.push(`${name}: ${got.skipped}`);
        opts.log(`${name} skipped: ${got.skipped}`);
        continue;
      }
      reference[name === 'xfs' ? 'XFS' : name] = got.how;
      ({ root, teardown } = got);
      type = name;
    }
    const fs: FsTarget = { name, type, root, floor: floorOf(type) };
    const ctx: Ctx = {
      opts,
      q: opts.quick ? ' (quick)' : '',
      fs: type,
      keep: (c) => opts.only.length === 0 || opts.only.some((o) => c.toLowerCase().includes(o)),
    };
    try {
      for (const d of wanted) {
        const label = d.spec(opts.scale).label;
        const cleanup = onCleanup(() => removeTree(join(root, `delta-${d.spec(opts.scale).name}`)));
        try {
          for (const g of await benchDataset(ctx, fs, d)) {
            runs.push(g.run);
            targets.push(...g.targets);
          }
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          skipped.push(`${label} on ${type}: ${failureText(msg)}`);
          opts.log(`${label} on ${type} FAILED: ${msg}`);
        } finally {
          await cleanup();
          for (const scratch of ['delta-floor', 'delta-new-repo']) await removeTree(join(root, scratch));
        }
      }
    } finally {
      await teardown();
    }
  }
  return {
    reference,
    datasets: runs,
    targets,
    skipped,
    legend: LEGEND,
    runsNote: `--runs ${opts.runs}: ${opts.runs} rounds per dataset and filesystem, ${opts.runs * DIFF_ROUNDS} library diffs`,
  };
}
