/**
 * The library side of `bench repo`, run inside one process by run-one.ts: a library call and an
 * in-process baseline alternate iteration by iteration (runInterleaved, after untimed warm-up
 * rounds), so both see the same machine. Each loop hands back the ContenderResult list for the
 * parent's report.
 */
import { copyFile, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { coreInfo, Repository } from '../src/index.js';
import type { DiffOptions, DiffResult } from '../src/inspect/diff.js';
import { runInterleaved, type Contender, type ContenderResult } from './runner.js';

export interface LoopOutcome {
  results: ContenderResult[];
  [key: string]: unknown;
}

/** What the diff loop needs of the library: src/ through tsx, or the built dist/index.js. */
export interface DiffLib {
  Repository: { openAt(root: string): { diff(opts: DiffOptions): Promise<DiffResult> } };
  coreInfo: typeof coreInfo;
}

/** A contender timed inside this process: `ms` is the call alone; `prepare` stays untimed. */
function inProcess(
  name: string,
  kind: Contender['kind'],
  fn: () => Promise<Record<string, unknown> | void>,
  prepare?: () => Promise<void>,
  core = coreInfo(),
): Contender {
  return {
    name,
    kind,
    ...(kind === 'ours' ? { variant: core.kind } : {}),
    ...(prepare ? { prepare } : {}),
    run: async () => {
      const t0 = performance.now();
      const info = await fn();
      const ms = performance.now() - t0;
      return { ms, info: { ...(info ?? {}), ...(kind === 'ours' && core.path ? { corePath: core.path } : {}) } };
    },
  };
}

async function loop(contenders: Contender[], iterations: number, warmup: number): Promise<ContenderResult[]> {
  const quiet = { log: (): void => undefined };
  if (warmup > 0) await runInterleaved(contenders, { runs: warmup, ...quiet });
  return runInterleaved(contenders, { runs: iterations, ...quiet });
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The floor of a durable 10-file snapshot done by hand: copy the files into a new directory,
 * fsync each file and the directory, rename it into place, fsync the parent.
 */
async function copyDurably(src: string, parent: string): Promise<void> {
  const tmp = join(parent, 'copy.tmp');
  const dst = join(parent, 'copy');
  await rm(dst, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const name of await readdir(src)) {
    await copyFile(join(src, name), join(tmp, name));
    await fsyncPath(join(tmp, name));
  }
  await fsyncPath(tmp);
  await rename(tmp, dst);
  await fsyncPath(parent);
}

/**
 * `Repository.openAt(root).snapshot({worktree: 'main'})`, each iteration after an untimed
 * rewrite of one file (so every run snapshots a change), against copyDurably of the same files.
 */
export async function snapshotLoop(root: string, scratch: string, iterations: number, warmup: number): Promise<LoopOutcome> {
  const payload = join(root, 'main');
  const first = (await readdir(payload)).sort()[0];
  if (!first) throw new Error(`${payload} is empty`);
  const victim = join(payload, first);
  const size = (await readFile(victim)).length;
  let seq = 0;
  const ids = new Set<string>();
  const engines = new Set<string>();
  const ours = inProcess(
    'library snapshot',
    'ours',
    async () => {
      const d = await Repository.openAt(root).snapshot({ worktree: 'main' });
      ids.add(d.snapshot_id);
      engines.add(d.engine);
      return { engine: d.engine };
    },
    () => writeFile(victim, Buffer.alloc(size, `change ${++seq} `)),
  );
  const files = (await readdir(payload)).length;
  const baseline = inProcess(`copy+fsync ${files} files`, 'baseline', () => copyDurably(payload, scratch));
  const results = await loop([ours, baseline], iterations, warmup);
  if (ids.size !== iterations + warmup) throw new Error(`expected ${iterations + warmup} new snapshots, got ${ids.size}`);
  await rm(join(scratch, 'copy'), { recursive: true, force: true });
  return { results, files, snapshots: ids.size, engines: [...engines] };
}

/** `<path> → <hash>` of a `sha256sum` listing (`<64 hex>  <path>` lines). */
function listing(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) if (line.length > 66) m.set(line.slice(66), line.slice(0, 64));
  return m;
}

/**
 * `repo.diff({from, to})` of two snapshots (from their manifests), against the same question
 * answered naively: the two snapshots' `sha256sum` listings read, split into Maps and compared.
 * `lib` is the library under test (default: src/).
 */
export async function diffLoop(
  root: string,
  from: string,
  to: string,
  listA: string,
  listB: string,
  iterations: number,
  warmup: number,
  lib: DiffLib = { Repository, coreInfo },
): Promise<LoopOutcome> {
  const expectOne = (added: number, removed: number, modified: number): void => {
    if (added !== 0 || removed !== 0 || modified !== 1) throw new Error(`diff found ${added} added, ${removed} removed, ${modified} modified; expected 1 modified`);
  };
  const ours = inProcess(
    'library diff',
    'ours',
    async () => {
      const r = await lib.Repository.openAt(root).diff({ from, to });
      expectOne(r.total_added, r.total_removed, r.total_modified);
      return { modified: r.modified?.[0]?.path.toString() };
    },
    undefined,
    lib.coreInfo(),
  );
  const baseline = inProcess('sha256sum lists → Map', 'baseline', async () => {
    const [ta, tb] = await Promise.all([readFile(listA, 'utf8'), readFile(listB, 'utf8')]);
    const a = listing(ta);
    const b = listing(tb);
    let added = 0;
    let modified = 0;
    for (const [path, hash] of b) {
      const old = a.get(path);
      if (old === undefined) added++;
      else if (old !== hash) modified++;
    }
    expectOne(added, a.size - (b.size - added), modified);
    return { entries: b.size };
  });
  return { results: await loop([ours, baseline], iterations, warmup) };
}

/** One library snapshot of the `main` worktree (fixture building): its id, engine and time. */
export async function snapshotOnce(root: string): Promise<{ ms: number; result: Record<string, unknown> }> {
  const t0 = process.hrtime.bigint();
  const d = await Repository.openAt(root).snapshot({ worktree: 'main' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, result: { id: d.snapshot_id, engine: d.engine } };
}
