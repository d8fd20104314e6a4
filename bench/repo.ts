/**
 * `bench repo`: the repository layer against the targets of issue 3 (and issue 4's manifest
 * size). Four groups, each interleaved against its own baseline:
 *
 * - CLI: `jvs --version` and `jvs snapshot` of a 10-file worktree as whole processes, against
 *   bare Node start-up (`node -e ''`);
 * - library snapshot: `Repository.snapshot` of the same worktree, many iterations in one process,
 *   against copying the 10 files durably by hand (copy, fsync, rename) in the same loop;
 * - history: `jvs history` and `jvs history --all` over N snapshots with the catalog cache
 *   missing (cold), trusted (warm) and present but re-checked (revalidate), against `node -e ''`;
 * - diff: `repo.diff({from, to})` of two 100k-file snapshots one file apart, from manifests,
 *   against comparing the two `sha256sum` listings in a Map; and the manifest bytes the second
 *   snapshot added.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';

import { pointerPath } from '../src/manifest/store.js';
import { RepoLayout } from '../src/repo/layout.js';
import { warm } from './baselines.js';
import { datasets } from './datasets.js';
import type { BenchOptions, CommandOutcome } from './options.js';
import { check, type DatasetRun, type TargetCheck } from './report.js';
import { changeFile, cliEnv, diffRepo, fixturesRoot, historyRepo, jvs, jvsArgv, jvsMain, settleDirs, smallRepo } from './repo-fixtures.js';
import type { LoopOutcome } from './repo-child.js';
import { commandContender, fmtMs, ratioOf, runInterleaved, runOurs, type Contender, type ContenderResult } from './runner.js';
import { dataRoot, onCleanup, repoRoot, type ExecResult } from './util.js';
import { fsType } from './xfs.js';

const SNAPSHOT_FILES = 10;
const BARE_NODE = "node -e ''";

/** Rounds per group, as multiples of --runs (cheap operations get more). */
const ROUNDS = { cli: 4, librarySnapshot: 40, history: 2, diff: 2 };
const WARMUP = { librarySnapshot: 10, diff: 2 };

const LEGEND =
  'median/min/max: `jvs …` and `node -e \'\'` rows are whole processes (spawn → exit, the built CLI `dist/cli/main.js` with JVS_NATIVE=1); ' +
  '`library …` rows are one call inside a long-lived process after warm-up rounds, alternating with an in-process baseline in the same loop ' +
  '(`copy+fsync …`: the worktree\'s files copied into a new directory, each file and the directory fsynced, renamed into place; ' +
  '`sha256sum lists → Map`: the two snapshots\' `sha256sum` listings read, split into Maps and compared). ' +
  'process: whole child process, for our CLI rows the same as the median. CPU: user+sys (GNU time, median; whole processes only). ' +
  "peak RSS: GNU time's %M for processes; for library rows the loop process's maxRSS (node + tsx + every iteration). " +
  'vs baseline: ours median / baseline median (in parentheses: the median of per-round ratios, the noise-robust one); the baseline of ' +
  'each group is its non-`jvs`, non-`library` row.';

export interface Group {
  run: DatasetRun;
  targets: TargetCheck[];
}

export interface Ctx {
  opts: BenchOptions;
  /** ` (quick)` on target names of quick runs. */
  q: string;
  fs: string;
  keep: (name: string) => boolean;
}

/** A group as a dataset row; `files` > 0 fills the table's per-file column (from 100 files up). */
export function datasetOf(name: string, label: string, files: number, path: string, entries = files): DatasetRun['dataset'] {
  return { name, label, files, fileSize: 0, dirs: 0, bytes: 0, entries, path };
}

function outputMatches(re: RegExp, what: string): (r: ExecResult) => void {
  return (r) => {
    if (!re.test(r.stdout)) throw new Error(`${what}: unexpected output: ${r.stdout.slice(0, 300)}`);
  };
}

export function failureText(error: string | undefined): string {
  const first = (error ?? '').split('\n')[0] ?? '';
  return /unknown command/i.test(error ?? '') ? 'not available yet (unknown command in dist/cli)' : `failed: ${first}`;
}

/** A ≤ limit (ms) target on a contender's median, with its ratio to the group's baseline. */
export function timeTarget(d: DatasetRun, contender: string, workload: string, limitMs: number, showExcess: boolean): TargetCheck[] {
  const r = d.results.find((x) => x.name === contender);
  if (!r) return []; // filtered out with --only
  const target = `≤ ${limitMs} ms`;
  if (r.time.n === 0) return [check(workload, contender, Number.NaN, '<=', limitMs, failureText(r.error), target, false)];
  const parts = [`${fmtMs(r.time.median)} (best ${fmtMs(r.time.min)})`];
  const ratio = d.ratios.find((x) => x.ours === contender);
  if (ratio) parts.push(`${ratio.ratio.toFixed(2)} × \`${ratio.baseline}\` (paired ${ratio.paired.toFixed(2)})`);
  const base = d.results.find((x) => x.name === d.baseline);
  if (showExcess && base && base.time.n > 0) parts.push(`+${fmtMs(r.time.median - base.time.median)} over it`);
  return [check(workload, contender, r.time.median, '<=', limitMs, parts.join('; '), target, false)];
}

export function groupRun(ctx: Ctx, dataset: DatasetRun['dataset'], baseline: string, results: ContenderResult[], notes: string[]): DatasetRun {
  const ratios = results.filter((r) => r.kind === 'ours').flatMap((r) => ratioOf(results, r.name, baseline) ?? []);
  for (const r of results) if (r.error) notes.push(`${r.name}: ${failureText(r.error)}`);
  return { dataset, fs: ctx.fs, baseline, results, ratios, notes };
}

function bareNode(): Contender {
  return commandContender(BARE_NODE, () => [process.execPath, '-e', '']);
}

// ---- groups ---------------------------------------------------------------------------------

async function cliGroup(ctx: Ctx): Promise<Group> {
  const repo = await smallRepo('snapshot-cli', SNAPSHOT_FILES);
  onCleanup(() => rmSync(repo.root, { recursive: true, force: true }));
  let seq = 0;
  const snapshotName = `jvs snapshot (${SNAPSHOT_FILES} files)`;
  const contenders = [
    bareNode(),
    commandContender('jvs --version', () => jvsArgv(['--version']), {
      kind: 'ours',
      exec: { env: cliEnv },
      check: outputMatches(/^jvs version /, 'jvs --version'),
    }),
    commandContender(snapshotName, () => jvsArgv(['snapshot']), {
      kind: 'ours',
      exec: { env: cliEnv, cwd: repo.payload },
      // Untimed: one file rewritten, so that every run snapshots a change.
      prepare: async () => changeFile(repo.victim, repo.fileSize, ++seq),
      check: outputMatches(/Created snapshot/, 'jvs snapshot'),
    }),
  ].filter((c) => ctx.keep(c.name));
  const rounds = ctx.opts.runs * ROUNDS.cli;
  ctx.opts.log(`\nCLI start-up and a ${SNAPSHOT_FILES}-file snapshot: ${rounds} rounds`);
  const results = await runInterleaved(contenders, { runs: rounds, log: ctx.opts.log });
  const dataset = datasetOf('cli', `CLI, ${SNAPSHOT_FILES}-file worktree`, SNAPSHOT_FILES, repo.root);
  const run = groupRun(ctx, dataset, BARE_NODE, results, [
    `${snapshotName}: each run after an untimed rewrite of one 1 KiB file, in a repository that grows by one snapshot per run`,
  ]);
  return {
    run,
    targets: [
      ...timeTarget(run, 'jvs --version', `\`jvs --version\`, whole process${ctx.q}`, 80, true),
      ...timeTarget(run, snapshotName, `\`jvs snapshot\`, ${SNAPSHOT_FILES} files, whole process${ctx.q}`, 120, true),
    ],
  };
}

/** Runs a repo-child loop in a child process; its results, with the child's peak RSS on ours. */
export async function childLoop(ctx: Ctx, args: string[]): Promise<{ out: LoopOutcome; wallMs: number }> {
  const { report, proc } = await runOurs('native', args);
  const out = report.result as LoopOutcome | undefined;
  if (!out || !Array.isArray(out.results)) throw new Error(`${args[0] ?? ''}: the child reported no results`);
  for (const r of out.results) {
    if (r.kind === 'ours') r.peakRssKiB = report.maxRssKiB;
    ctx.opts.log(`  ${r.name.padEnd(24)} median ${fmtMs(r.time.median)} (min ${fmtMs(r.time.min)}, max ${fmtMs(r.time.max)}, n ${r.time.n})`);
  }
  out.results = out.results.filter((r) => ctx.keep(r.name));
  return { out, wallMs: proc.wallMs };
}

async function librarySnapshotGroup(ctx: Ctx): Promise<Group> {
  const repo = await smallRepo('snapshot-lib', SNAPSHOT_FILES);
  const scratch = join(fixturesRoot, 'snapshot-lib-scratch');
  mkdirSync(scratch, { recursive: true });
  onCleanup(() => {
    rmSync(repo.root, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });
  const iterations = ctx.opts.runs * ROUNDS.librarySnapshot;
  ctx.opts.log(`\nlibrary snapshot of a ${SNAPSHOT_FILES}-file worktree: ${WARMUP.librarySnapshot} warm-up + ${iterations} iterations in one process`);
  const { out, wallMs } = await childLoop(ctx, ['snapshot-loop', repo.root, scratch, String(iterations), String(WARMUP.librarySnapshot)]);
  const baseline = out.results.find((r) => r.kind === 'baseline')?.name ?? 'copy+fsync';
  const dataset = datasetOf('library-snapshot', `library, ${SNAPSHOT_FILES}-file worktree`, SNAPSHOT_FILES, repo.root);
  const run = groupRun(ctx, dataset, baseline, out.results, [
    `\`Repository.openAt(root).snapshot({worktree: 'main'})\`, ${iterations} timed iterations after ${WARMUP.librarySnapshot} warm-up rounds in one process ` +
      `(${fmtMs(wallMs)} in all), each after an untimed rewrite of one file; engine ${String(out['engines'])}`,
  ]);
  return { run, targets: timeTarget(run, 'library snapshot', `library snapshot, ${SNAPSHOT_FILES} files${ctx.q}`, 15, false) };
}

async function historyGroup(ctx: Ctx): Promise<Group> {
  const n = Math.max(10, Math.round(10_000 * ctx.opts.scale));
  const h = await historyRepo(n, ctx.opts.log);
  const layout = new RepoLayout(h.root);
  const cwd = layout.payload('main');
  const cache = join(layout.ext, 'catalog.jsonl');
  const settledCopy = `${h.root}.catalog.jsonl`;
  // The cache as a later `jvs history` finds it: written while the directories were long
  // settled, so trusted without looking at the descriptors.
  settleDirs(h);
  rmSync(cache, { force: true });
  await jvs(['history'], { cwd });
  if (!existsSync(cache)) throw new Error(`jvs history wrote no catalog cache (${cache})`);
  copyFileSync(cache, settledCopy);

  const states: Record<string, () => Promise<void>> = {
    // No cache: every descriptor is read (page cache warm), and the cache is written.
    cold: async () => {
      rmSync(cache, { force: true });
      await warm(layout.descriptorsDir);
    },
    warm: async () => copyFileSync(settledCopy, cache),
    // The cache is there but .jvs/descriptors/ changed after it was written: every
    // descriptor is stat'ed against it (none is read).
    revalidate: async () => {
      copyFileSync(settledCopy, cache);
      const now = Date.now() / 1000;
      utimesSync(layout.descriptorsDir, now, now);
    },
  };
  const lines = (r: ExecResult): void => {
    const count = r.stdout.split('\n').filter(Boolean).length;
    if (count < n) throw new Error(`jvs history printed ${count} lines, expected at least ${n}`);
  };
  const contenders: Contender[] = [bareNode()];
  for (const all of [false, true]) {
    for (const [state, prepare] of Object.entries(states)) {
      contenders.push(
        commandContender(`jvs history${all ? ' --all' : ''} (${state})`, () => jvsArgv(['history', ...(all ? ['--all'] : [])]), {
          kind: 'ours',
          exec: { env: cliEnv, cwd },
          prepare,
          check: lines,
          after: async () => {
            if (state === 'cold' && !existsSync(cache)) throw new Error('the cold run wrote no catalog cache');
            settleDirs(h);
          },
        }),
      );
    }
  }
  const rounds = ctx.opts.runs * ROUNDS.history;
  const label = `history, ${n >= 1000 ? `${n / 1000}k` : n} snapshots`;
  ctx.opts.log(`\n${label}: ${rounds} rounds`);
  const results = await runInterleaved(
    contenders.filter((c) => ctx.keep(c.name)),
    { runs: rounds, log: ctx.opts.log },
  );
  const run = groupRun(ctx, datasetOf(`history-${n}`, label, 0, h.root, n), BARE_NODE, results, [
    `${n} snapshots in one lineage (descriptors written directly, empty snapshot directories); cold = no .jvs/ext/catalog.jsonl ` +
      '(every descriptor read, page cache warm, the cache written); warm = the cache trusted as is; revalidate = the cache present ' +
      'but .jvs/descriptors/ modified after it was written (every descriptor stat\'ed, none read)',
  ]);
  const targets = results
    .filter((r) => r.kind === 'ours')
    .flatMap((r) => timeTarget(run, r.name, `\`${r.name.replace(/ \(.*\)$/, '')}\`, ${n} snapshots${ctx.q}`, 300, true));
  return { run, targets };
}

async function diffGroup(ctx: Ctx): Promise<Group> {
  const spec = datasets.kib100k(ctx.opts.scale);
  const d = await diffRepo(spec, ctx.opts.log);
  const layout = new RepoLayout(d.root);
  const pointers = [d.from, d.to].map((id) => pointerPath(layout, id));
  const mtimes = (): string => pointers.map((p) => statSync(p).mtimeMs).join(',');
  const before = mtimes();
  const iterations = ctx.opts.runs * ROUNDS.diff;
  ctx.opts.log(`\ndiff of two ${spec.label} snapshots: ${WARMUP.diff} warm-up + ${iterations} iterations in one process`);
  const { out, wallMs } = await childLoop(ctx, ['diff-loop', d.root, d.from, d.to, d.listA, d.listB, String(iterations), String(WARMUP.diff)]);
  const notes = [
    `\`repo.diff({from, to})\` of two snapshots of ${spec.label} in ${spec.dirs} directories, one file apart (${d.changed}); ` +
      `${iterations} timed iterations after ${WARMUP.diff} warm-up rounds in one process (${fmtMs(wallMs)} in all)`,
    `fixture: the two library snapshots took ${fmtMs(d.snapshotMs[0])} and ${fmtMs(d.snapshotMs[1])} (engine ${d.engine}) when it was built`,
  ];
  if (mtimes() !== before) notes.push('MANIFEST REBUILT during the loop: the diff did not (only) use the stored manifests');
  const baseline = out.results.find((r) => r.kind === 'baseline')?.name ?? 'sha256sum lists → Map';
  const run = groupRun(ctx, datasetOf(`diff-${spec.name}`, `diff, ${spec.label}`, spec.files, d.root), baseline, out.results, notes);
  const a = d.manifestAdded;
  const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
  return {
    run,
    targets: [
      ...timeTarget(run, 'library diff', `diff of two ${spec.label} snapshots, 1 file apart${ctx.q}`, 1000, false),
      check(
        `manifest bytes added by a snapshot of ${spec.label} after 1 change${ctx.q}`,
        'library snapshot',
        a.bytes,
        '<=',
        64 * 1024,
        `${kib(a.bytes)} in ${a.files} files under .jvs/ext/manifests/ (${kib(a.allocated)} allocated)`,
        '≤ 64 KiB',
        false,
      ),
    ],
  };
}

// ---- the command ------------------------------------------------------------------------------

const GROUPS: { name: string; label: string; fn: (ctx: Ctx) => Promise<Group> }[] = [
  { name: 'cli', label: 'CLI start-up and snapshot', fn: cliGroup },
  { name: 'library-snapshot', label: 'library snapshot', fn: librarySnapshotGroup },
  { name: 'history', label: 'history', fn: historyGroup },
  { name: 'diff', label: 'diff', fn: diffGroup },
];

export async function benchRepo(opts: BenchOptions): Promise<CommandOutcome> {
  if (!existsSync(jvsMain)) throw new Error(`${jvsMain} is missing: run npm run build:ts`);
  mkdirSync(fixturesRoot, { recursive: true });
  const ctx: Ctx = {
    opts,
    q: opts.quick ? ' (quick)' : '',
    fs: await fsType(dataRoot),
    keep: (name) => opts.only.length === 0 || opts.only.some((o) => name.toLowerCase().includes(o)),
  };
  const wanted = GROUPS.filter((g) => opts.dataset.length === 0 || opts.dataset.some((d) => g.name.includes(d) || g.label.toLowerCase().includes(d)));
  const runs: DatasetRun[] = [];
  const targets: TargetCheck[] = [];
  const skipped: string[] = [];
  for (const g of wanted) {
    try {
      const out = await g.fn(ctx);
      runs.push(out.run);
      targets.push(...out.targets);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      skipped.push(`${g.label}: ${failureText(msg)}`);
      opts.log(`${g.label} FAILED: ${msg}`);
    }
  }
  const built = statSync(jvsMain).mtime.toISOString();
  return {
    reference: {
      CLI: `\`node ${relative(repoRoot, jvsMain)}\` (built ${built}) with JVS_NATIVE=1; library rows run src/ through tsx`,
    },
    datasets: runs,
    targets,
    skipped,
    legend: LEGEND,
    runsNote:
      `--runs ${opts.runs}: ${opts.runs * ROUNDS.cli} CLI rounds, ${opts.runs * ROUNDS.librarySnapshot} library snapshots, ` +
      `${opts.runs * ROUNDS.history} history rounds, ${opts.runs * ROUNDS.diff} diffs`,
  };
}
