/**
 * `bench clone`: cloneTree (native and fallback) against `cp -a`: the copy engine on the local
 * filesystem (ext4 here), and the reflink engine against `cp -a --reflink=always` on XFS.
 * Before each timed run (untimed): remove the destination, read the source once, `sync`.
 */
import { cpA, removeTree, syncAll, warm } from './baselines.js';
import { datasets, ensureDataset, type Dataset } from './datasets.js';
import { check, type DatasetRun, type TargetCheck } from './report.js';
import { commandContender, oursContender, ratioOf, runInterleaved, type Contender, type Sample } from './runner.js';
import type { BenchOptions, CommandOutcome } from './options.js';
import { dataRoot, exec, q } from './util.js';
import { fsType, setupXfs } from './xfs.js';

const RSS_LIMIT_MB = 200;

async function countFiles(dir: string): Promise<number> {
  const r = await exec('bash', ['-c', `find ${q(dir)} -type f | wc -l`]);
  return Number(r.stdout.trim());
}

function contenders(ds: Dataset, dst: string, engine: 'copy' | 'reflink', opts: BenchOptions): Contender[] {
  const prepare = async (): Promise<void> => {
    await removeTree(dst);
    await warm(ds.path);
    await syncAll();
  };
  const verified = new Set<string>();
  const after =
    (name: string) =>
    async (_s: Sample): Promise<void> => {
      if (!verified.has(name)) {
        // Once per contender: the destination really holds the tree.
        const n = await countFiles(dst);
        if (n !== ds.files) throw new Error(`${name}: destination has ${n} files, expected ${ds.files}`);
        verified.add(name);
      }
      await removeTree(dst);
    };
  const checkOurs = (info: Record<string, unknown>): void => {
    if (info['files'] !== ds.files) throw new Error(`cloned ${String(info['files'])} files, expected ${ds.files}`);
  };
  const list: Contender[] = [
    oursContender('native', () => ['clone', ds.path, dst, engine], { suffix: ` ${engine}`, prepare, after: after('native'), check: checkOurs }),
    oursContender('fallback', () => ['clone', ds.path, dst, engine], { suffix: ` ${engine}`, prepare, after: after('fallback'), check: checkOurs }),
    engine === 'reflink'
      ? commandContender('cp -a --reflink=always', () => cpA(ds.path, dst, 'always'), { prepare, after: after('cp') })
      : commandContender('cp -a', () => cpA(ds.path, dst), { prepare, after: after('cp') }),
  ];
  return list.filter((c) => opts.only.length === 0 || opts.only.some((o) => c.name.toLowerCase().includes(o)));
}

async function benchOn(
  root: string,
  fs: string,
  engine: 'copy' | 'reflink',
  opts: BenchOptions,
): Promise<DatasetRun[]> {
  const specs = [datasets.kib100k(opts.scale), datasets.mib1000(opts.scale)].filter(
    (s) => opts.dataset.length === 0 || opts.dataset.some((d) => s.name.toLowerCase().includes(d) || s.label.toLowerCase().includes(d)),
  );
  const out: DatasetRun[] = [];
  for (const spec of specs) {
    const ds = await ensureDataset(spec, root, opts.log);
    const dst = `${ds.path}.clone`;
    await removeTree(dst);
    opts.log(`\n${ds.label} on ${fs}, engine ${engine}: ${opts.runs} rounds`);
    const results = await runInterleaved(contenders(ds, dst, engine, opts), { runs: opts.runs, log: opts.log });
    await removeTree(dst);
    const baseline = engine === 'reflink' ? 'cp -a --reflink=always' : 'cp -a';
    const ratios = results.filter((r) => r.kind === 'ours').flatMap((r) => ratioOf(results, r.name, baseline) ?? []);
    const notes: string[] = [];
    for (const r of results) {
      if (r.error) notes.push(`${r.name} failed: ${r.error.split('\n')[0] ?? ''}`);
      const degraded = new Set(r.samples.flatMap((s) => (s?.info && s.info['engine'] !== engine ? [`engine ${String(s.info['engine'])}`] : [])));
      const fallbacks = r.samples.reduce((a, s) => a + (typeof s?.info?.['fallbacks'] === 'number' ? (s.info['fallbacks'] as number) : 0), 0);
      if (degraded.size > 0 || fallbacks > 0) {
        const first = r.samples.find((s) => s?.info?.['firstFallback'])?.info?.['firstFallback'];
        notes.push(`${r.name}: DEGRADED (${[...degraded].join(', ')}${fallbacks ? `, ${fallbacks} per-file fallbacks, e.g. ${String(first)}` : ''})`);
      }
    }
    out.push({
      dataset: ds,
      fs,
      baseline,
      results,
      ratios,
      notes,
    });
  }
  return out;
}

export async function benchClone(opts: BenchOptions): Promise<CommandOutcome> {
  const runs: DatasetRun[] = [];
  const skipped: string[] = [];
  const reference: Record<string, unknown> = {};
  const wantFs = (f: string): boolean => opts.fs.length === 0 || opts.fs.includes(f);

  if (wantFs('ext4') || wantFs('local')) {
    const fs = await fsType(dataRoot);
    runs.push(...(await benchOn(dataRoot, fs, 'copy', opts)));
  }
  if (wantFs('xfs')) {
    const xfs = await setupXfs(opts.quick ? 4 : 8, opts.log);
    if ('skipped' in xfs) {
      skipped.push(`XFS reflink: ${xfs.skipped}`);
      opts.log(`XFS skipped: ${xfs.skipped}`);
    } else {
      reference['XFS'] = xfs.how;
      try {
        runs.push(...(await benchOn(xfs.root, 'xfs', 'reflink', opts)));
      } finally {
        await xfs.teardown();
      }
    }
  }
  return { reference, datasets: runs, targets: targets(runs, opts.quick), skipped };
}

function targets(runs: DatasetRun[], quick: boolean): TargetCheck[] {
  const out: TargetCheck[] = [];
  const q = quick ? ' (quick)' : '';
  for (const d of runs) {
    const n = d.dataset;
    const small = n.fileSize === 1024 && n.files >= 10_000;
    const big = n.fileSize === 2 ** 20 && n.files >= 100;
    for (const r of d.ratios) {
      if (d.fs === 'xfs' && small) {
        out.push(check(`clone ${n.label} on ${d.fs}, reflink${q}`, r.ours, r.ratio, '<=', 0.6, `${r.ratio.toFixed(2)} × (paired ${r.paired.toFixed(2)})`, `≤ 0.6 × \`${r.baseline}\``));
      }
      if (d.fs !== 'xfs' && big) {
        out.push(check(`copy ${n.label} on ${d.fs}${q}`, r.ours, r.ratio, '<=', 1.1, `${r.ratio.toFixed(2)} × (paired ${r.paired.toFixed(2)})`, `≤ 1.1 × \`${r.baseline}\``));
      }
    }
    if (small) {
      for (const r of d.results) {
        if (r.kind !== 'ours' || r.peakRssKiB === undefined) continue;
        const mb = (r.peakRssKiB * 1024) / 1e6;
        out.push(check(`clone ${n.label} on ${d.fs}${q}: peak RSS`, r.name, mb, '<=', RSS_LIMIT_MB, `${mb.toFixed(0)} MB`, '≤ 200 MB'));
      }
    }
  }
  return out;
}
