/**
 * Contenders and the interleaved measurement loop. Every round runs each contender once, in an
 * order rotated per round, so baseline and ours alternate and share the machine's mood; the
 * untimed `prepare` (warm the page cache, remove the destination, sync) runs right before each
 * timed run.
 */
import { loadavg } from 'node:os';

import type { ChildReport } from './run-one.js';
import { pairedRatio, summarize, type Summary } from './stats.js';
import { timed, type ExecOptions, type ExecResult, type TimedResult } from './util.js';

export type Variant = 'native' | 'fallback';

export interface Sample {
  /** The measured time, ms: the operation inside the child for ours, the whole process for baselines. */
  ms: number;
  /** Whole-process wall time (spawn → exit), ms; absent for runs inside a longer-lived process. */
  procMs?: number;
  /** User + system CPU time of the process tree, ms (GNU time). */
  cpuMs?: number;
  /** Peak RSS, KiB: the child's own maxRSS for ours, GNU time's %M for baselines. */
  rssKiB?: number;
  /** GNU time's %M (largest process of the tree), KiB. */
  treeRssKiB?: number;
  /** Untimed preparation before this sample (e.g. page-cache warm-up), ms: a DAMON/eviction tell. */
  prepMs?: number;
  round: number;
  /** 1-minute load average just before the timed run (other work on the machine). */
  load1?: number;
  /** Operation-specific facts (root hash, engine used, fallbacks…). */
  info?: Record<string, unknown>;
}

export interface Contender {
  /** Display name, e.g. `jvs native`, `openssl ×2`, `cp -a`. */
  name: string;
  kind: 'ours' | 'baseline';
  variant?: Variant;
  /** Untimed, before every run (its duration is recorded as prepMs). */
  prepare?: () => Promise<void>;
  /** One timed run. Throws on failure. */
  run: (round: number) => Promise<Omit<Sample, 'round' | 'prepMs' | 'load1'>>;
  /** Untimed, after every run (e.g. verify and remove the destination). */
  after?: (sample: Sample) => Promise<void>;
}

export interface ContenderResult {
  name: string;
  kind: 'ours' | 'baseline';
  variant?: Variant;
  /** One entry per round; undefined where the contender did not run (failed or skipped). */
  samples: (Sample | undefined)[];
  time: Summary;
  procTime: Summary;
  cpu?: Summary;
  /** Max over runs of the peak RSS, KiB. */
  peakRssKiB?: number;
  error?: string;
}

/** Median ours/baseline of medians, and the median of per-round ratios. */
export interface Ratio {
  ours: string;
  baseline: string;
  ratio: number;
  paired: number;
}

export function ratioOf(results: ContenderResult[], ours: string, baseline: string): Ratio | undefined {
  const a = results.find((r) => r.name === ours);
  const b = results.find((r) => r.name === baseline);
  if (!a || !b || a.time.n === 0 || b.time.n === 0) return undefined;
  return {
    ours,
    baseline,
    ratio: a.time.median / b.time.median,
    paired: pairedRatio(
      a.samples.map((s) => s?.ms),
      b.samples.map((s) => s?.ms),
    ),
  };
}

export interface LoopOptions {
  runs: number;
  log: (m: string) => void;
}

export async function runInterleaved(contenders: Contender[], opts: LoopOptions): Promise<ContenderResult[]> {
  const results: ContenderResult[] = contenders.map((c) => ({
    name: c.name,
    kind: c.kind,
    ...(c.variant ? { variant: c.variant } : {}),
    samples: [],
    time: summarize([]),
    procTime: summarize([]),
  }));
  for (let round = 0; round < opts.runs; round++) {
    const k = contenders.length;
    for (let j = 0; j < k; j++) {
      const idx = (j + round) % k;
      const c = contenders[idx] as Contender;
      const res = results[idx] as ContenderResult;
      if (res.error) {
        res.samples.push(undefined);
        continue;
      }
      let pushed = false;
      try {
        const p0 = performance.now();
        await c.prepare?.();
        const prepMs = performance.now() - p0;
        const load1 = Math.round((loadavg()[0] ?? 0) * 100) / 100;
        const s = await c.run(round);
        const sample: Sample = { ...s, round, prepMs, load1 };
        res.samples.push(sample);
        pushed = true;
        opts.log(
          `  [${round + 1}/${opts.runs}] ${c.name.padEnd(22)} ${fmtMs(s.ms).padStart(9)}` +
            `  (${s.procMs !== undefined ? `process ${fmtMs(s.procMs)}, ` : ''}${s.rssKiB !== undefined ? `RSS ${(s.rssKiB / 1024).toFixed(0)} MiB, ` : ''}` +
            `prep ${fmtMs(prepMs)})`,
        );
        await c.after?.(sample);
      } catch (e) {
        res.error = e instanceof Error ? e.message : String(e);
        if (pushed) res.samples[res.samples.length - 1] = undefined;
        else res.samples.push(undefined);
        opts.log(`  [${round + 1}/${opts.runs}] ${c.name.padEnd(22)} FAILED: ${res.error.split('\n')[0] ?? ''}`);
      }
    }
  }
  for (const r of results) {
    const ok = r.samples.filter((s): s is Sample => s !== undefined);
    r.time = summarize(ok.map((s) => s.ms));
    r.procTime = summarize(ok.flatMap((s) => (s.procMs === undefined ? [] : [s.procMs])));
    const cpu = ok.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
    if (cpu.length > 0) r.cpu = summarize(cpu);
    const rss = ok.flatMap((s) => (s.rssKiB === undefined ? [] : [s.rssKiB]));
    if (rss.length > 0) r.peakRssKiB = Math.max(...rss);
  }
  return results;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

// ---- our library in a child process ----------------------------------------------------------

/** Runs bench/run-one.ts in a fresh node process with the given core; throws on failure. */
export async function runOurs(variant: Variant, args: string[]): Promise<{ report: ChildReport; proc: TimedResult }> {
  const env = { ...process.env, JVS_NATIVE: variant === 'native' ? '1' : '0' };
  const proc = await timed(process.execPath, ['--import', 'tsx', 'bench/run-one.ts', ...args], { env });
  const line = proc.stdout.trim().split('\n').pop() ?? '';
  let report: ChildReport;
  try {
    report = JSON.parse(line) as ChildReport;
  } catch {
    throw new Error(`run-one ${args[0] ?? ''} (${variant}) printed no report: ${proc.stderr.trim().slice(-1500)}`);
  }
  if (!report.ok) throw new Error(`run-one ${args[0] ?? ''} (${variant}): ${report.error ?? 'failed'}`);
  if (report.core && report.core.kind !== variant) {
    throw new Error(`asked for the ${variant} core, got ${report.core.kind}`);
  }
  return { report, proc };
}

/** A contender for our library: `jvs native` / `jvs fallback` (+ suffix). */
export function oursContender(
  variant: Variant,
  args: () => string[],
  hooks: Pick<Contender, 'prepare' | 'after'> & { suffix?: string; check?: (info: Record<string, unknown>) => void } = {},
): Contender {
  return {
    name: `jvs ${variant}${hooks.suffix ?? ''}`,
    kind: 'ours',
    variant,
    ...(hooks.prepare ? { prepare: hooks.prepare } : {}),
    ...(hooks.after ? { after: hooks.after } : {}),
    run: async () => {
      const { report, proc } = await runOurs(variant, args());
      const info = { ...(report.result ?? {}), ...(report.core?.path ? { corePath: report.core.path } : {}) };
      hooks.check?.(info);
      return {
        ms: report.ms ?? proc.wallMs,
        procMs: proc.wallMs,
        ...(proc.cpuMs !== undefined ? { cpuMs: proc.cpuMs } : {}),
        rssKiB: report.maxRssKiB,
        ...(proc.peakRssKiB !== undefined ? { treeRssKiB: proc.peakRssKiB } : {}),
        info,
      };
    },
  };
}

/** A contender that is one external command, timed as a whole process. */
export function commandContender(
  name: string,
  argv: () => string[],
  hooks: Pick<Contender, 'prepare' | 'after'> & {
    /** `ours` for our own CLI (default: a baseline). */
    kind?: Contender['kind'];
    /** Working directory and environment of the command. */
    exec?: ExecOptions;
    /** Throws when the command's output shows it did not do its job. */
    check?: (r: ExecResult) => void;
  } = {},
): Contender {
  return {
    name,
    kind: hooks.kind ?? 'baseline',
    ...(hooks.prepare ? { prepare: hooks.prepare } : {}),
    ...(hooks.after ? { after: hooks.after } : {}),
    run: async () => {
      const [cmd, ...args] = argv();
      if (!cmd) throw new Error('empty command');
      const r = await timed(cmd, args, hooks.exec);
      if (r.code !== 0) {
        throw new Error(`${name} failed (${r.signal ?? `exit ${String(r.code)}`}): ${r.stderr.trim().slice(-1000)}`);
      }
      hooks.check?.(r);
      return {
        ms: r.wallMs,
        procMs: r.wallMs,
        ...(r.cpuMs !== undefined ? { cpuMs: r.cpuMs } : {}),
        ...(r.peakRssKiB !== undefined ? { rssKiB: r.peakRssKiB, treeRssKiB: r.peakRssKiB } : {}),
      };
    },
  };
}
