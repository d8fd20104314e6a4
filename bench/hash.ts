/**
 * `bench hash`: the payload root hash (native and fallback) against OpenSSL and coreutils over
 * three datasets, page cache warm (every run is preceded by an untimed read of the dataset,
 * because DAMON evicts cold page cache on this VM).
 */
import { nproc, opensslOne, opensslParallel, opensslSpeed, sha256sum, warm, type SpeedResult } from './baselines.js';
import { datasets, ensureDataset, type Dataset } from './datasets.js';
import { check, gbps, type DatasetRun, type TargetCheck } from './report.js';
import { commandContender, oursContender, ratioOf, runInterleaved, type Contender, type ContenderResult } from './runner.js';
import type { BenchOptions, CommandOutcome } from './options.js';
import { dataRoot } from './util.js';
import { fsType } from './xfs.js';

const RSS_LIMIT_BYTES = 200e6;

function contenders(ds: Dataset, opts: BenchOptions): Contender[] {
  const prepare = (): Promise<void> => warm(ds.path);
  const checkResult = (info: Record<string, unknown>): void => {
    if (info['entries'] !== ds.entries || info['bytes'] !== ds.bytes) {
      throw new Error(`hashed ${String(info['entries'])} entries / ${String(info['bytes'])} bytes, expected ${ds.entries} / ${ds.bytes}`);
    }
  };
  const list: Contender[] = [
    oursContender('native', () => ['hash', ds.path], { prepare, check: checkResult }),
    oursContender('fallback', () => ['hash', ds.path], { prepare, check: checkResult }),
    commandContender('openssl', () => opensslOne(ds.path), { prepare }),
  ];
  if (ds.files >= nproc) list.push(commandContender(`openssl ×${nproc}`, () => opensslParallel(ds.path, ds.files), { prepare }));
  list.push(commandContender('sha256sum', () => sha256sum(ds.path), { prepare }));
  return list.filter((c) => opts.only.length === 0 || opts.only.some((o) => c.name.toLowerCase().includes(o)));
}

export async function benchHash(opts: BenchOptions): Promise<CommandOutcome> {
  const log = opts.log;
  const specs = [datasets.mib1000(opts.scale), datasets.kib100k(opts.scale), datasets.big2g(opts.scale)].filter(
    (s) => opts.dataset.length === 0 || opts.dataset.some((d) => s.name.toLowerCase().includes(d) || s.label.toLowerCase().includes(d)),
  );
  const sets: Dataset[] = [];
  for (const s of specs) sets.push(await ensureDataset(s, dataRoot, log));
  const fs = await fsType(dataRoot);
  const speedSeconds = opts.quick ? 1 : 3;

  log(`openssl speed (single core, ${speedSeconds} s) …`);
  const speedStart = await opensslSpeed(speedSeconds);
  log(`  ${gbps(speedStart.bytesPerSec, 1000)}`);
  const multi = await opensslSpeed(speedSeconds, nproc);
  log(`  ${nproc} processes: ${gbps(multi.bytesPerSec, 1000)} aggregate`);

  const runs: DatasetRun[] = [];
  for (const ds of sets) {
    log(`\n${ds.label} (${ds.files} files, ${ds.bytes} bytes) on ${fs}: ${opts.runs} rounds`);
    const results = await runInterleaved(contenders(ds, opts), { runs: opts.runs, log });
    const baseline = ds.files >= nproc ? `openssl ×${nproc}` : 'openssl';
    const ratios = results
      .filter((r) => r.kind === 'ours')
      .flatMap((r) => [baseline, 'openssl', 'sha256sum'].map((b) => ratioOf(results, r.name, b)))
      .filter((x) => x !== undefined);
    const notes: string[] = [];
    const hashes = new Set(results.flatMap((r) => r.samples.map((s) => s?.info?.['hash'])).filter((h) => typeof h === 'string'));
    if (hashes.size > 1) notes.push(`ROOT HASH MISMATCH between runs/cores: ${[...hashes].join(', ')}`);
    else if (hashes.size === 1) notes.push(`root hash ${String([...hashes][0])} (native and fallback agree)`);
    for (const r of results) if (r.error) notes.push(`${r.name} failed: ${r.error.split('\n')[0] ?? ''}`);
    const prep = results.flatMap((r) => r.samples.flatMap((s) => (s?.prepMs !== undefined ? [s.prepMs] : [])));
    if (prep.length > 0) notes.push(`untimed warm-up read before each run: ${Math.min(...prep).toFixed(0)}–${Math.max(...prep).toFixed(0)} ms`);
    runs.push({
      dataset: ds,
      fs,
      baseline,
      results,
      ratios,
      notes,
    });
  }

  log(`\nopenssl speed again (single core, then ${nproc} processes) …`);
  const speedEnd = await opensslSpeed(speedSeconds);
  const single: SpeedResult = speedEnd.bytesPerSec > speedStart.bytesPerSec ? speedEnd : speedStart;
  const multiEnd = await opensslSpeed(speedSeconds, nproc);
  const multiMax = Math.max(multi.bytesPerSec, multiEnd.bytesPerSec);

  return {
    reference: {
      'OpenSSL single core': `${gbps(single.bytesPerSec, 1000)} (\`${single.command}\`; ${gbps(speedStart.bytesPerSec, 1000)} before, ${gbps(speedEnd.bytesPerSec, 1000)} after the runs; the higher is used)`,
      [`OpenSSL ${nproc} processes`]: `${gbps(multi.bytesPerSec, 1000)} before, ${gbps(multiEnd.bytesPerSec, 1000)} after (aggregate, \`openssl speed -multi ${nproc} …\`: what the shared machine gave ${nproc} cores; ${(multiMax / (nproc * single.bytesPerSec)).toFixed(2)} × ${nproc} × single-core at best)`,
      singleCoreBytesPerSec: single.bytesPerSec,
      multiBytesPerSec: [multi.bytesPerSec, multiEnd.bytesPerSec],
    },
    datasets: runs,
    targets: targets(runs, single.bytesPerSec, multiMax, opts.quick),
    skipped: [],
  };
}

function targets(runs: DatasetRun[], single: number, multi: number, quick: boolean): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ours = (d: DatasetRun): ContenderResult[] => d.results.filter((r) => r.kind === 'ours' && r.time.n > 0);
  const q = quick ? ' (quick)' : '';
  for (const d of runs) {
    const n = d.dataset;
    if (n.fileSize === 2 ** 20 && n.files >= 100) {
      for (const r of ours(d)) {
        const rate = n.bytes / (r.time.median / 1000);
        const frac = rate / (nproc * single);
        out.push(
          check(
            `hash ${n.label}${q}`,
            r.name,
            frac,
            '>=',
            0.85,
            `${gbps(n.bytes, r.time.median)} = ${frac.toFixed(2)} × ${nproc} × ${gbps(single, 1000)} (${(rate / multi).toFixed(2)} × the \`-multi ${nproc}\` aggregate; best run ${gbps(n.bytes, r.time.min)})`,
            `≥ 0.85 × ${nproc} × single-core = ${gbps(0.85 * nproc * single, 1000)}`,
          ),
        );
      }
    }
    if (n.files >= 10_000) {
      for (const r of ours(d)) {
        const us = (r.time.median * 1000) / n.files;
        const best = (r.time.min * 1000) / n.files;
        out.push(check(`hash ${n.label}${q}`, r.name, us, '<=', 6, `${us.toFixed(2)} µs/file (best run ${best.toFixed(2)})`, '≤ 6 µs/file'));
      }
    }
    if (n.files >= 10_000 || n.files === 1) {
      for (const r of ours(d)) {
        if (r.peakRssKiB === undefined) continue;
        const bytes = r.peakRssKiB * 1024;
        out.push(
          check(`hash ${n.label}${q}: peak RSS`, r.name, bytes / 1e6, '<=', RSS_LIMIT_BYTES / 1e6, `${(bytes / 1e6).toFixed(0)} MB`, '≤ 200 MB'),
        );
      }
    }
  }
  return out;
}
