/**
 * Results: the JSON record (bench/results/<command>-<date>.json), the Markdown tables printed on
 * stdout, and the generated sections of docs/benchmarks.md (between `<!-- bench:<command> -->`
 * and `<!-- /bench:<command> -->`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Dataset } from './datasets.js';
import type { MachineFacts } from './machine.js';
import type { CommandOutcome } from './options.js';
import { fmtMs, type ContenderResult, type Ratio } from './runner.js';
import { repoRoot } from './util.js';

export interface DatasetRun {
  dataset: Dataset;
  /** Filesystem the dataset (and clone destinations) lived on. */
  fs: string;
  /** What the "vs baseline" column compares ours against. */
  baseline?: string;
  results: ContenderResult[];
  ratios: Ratio[];
  notes: string[];
}

export interface TargetCheck {
  /** Workload, e.g. `hash 1 GiB in 1000 files`. */
  workload: string;
  contender: string;
  /** Human text of what was measured, e.g. `2.41 GB/s (0.79 × 2 × 1.52 GB/s)`. */
  measured: string;
  /** Human text of the target, e.g. `≥ 0.85 × 2 × single-core`. */
  target: string;
  value: number;
  limit: number;
  cmp: '<=' | '>=';
  pass: boolean;
  /** Targets are judged on the native core; fallback rows are informational. */
  informational: boolean;
}

export type BenchCommand = 'hash' | 'clone' | 'repo' | 'delta';

/** What a command measured (CommandOutcome) plus when, where and how it was invoked. */
export interface BenchReport extends CommandOutcome {
  command: BenchCommand;
  /** The command line that produced it, as a user would type it. */
  invocation: string;
  date: string;
  quick: boolean;
  runs: number;
  machine: MachineFacts;
  durationS: number;
}

export function check(
  workload: string,
  contender: string,
  value: number,
  cmp: '<=' | '>=',
  limit: number,
  measured: string,
  target: string,
  /** Default: rows of contenders other than the native core are informational. */
  informational = !contender.includes('native'),
): TargetCheck {
  const pass = Number.isFinite(value) && (cmp === '<=' ? value <= limit : value >= limit);
  return { workload, contender, value, cmp, limit, pass, measured, target, informational };
}

// ---- tables ---------------------------------------------------------------------------------

function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function gbps(bytes: number, ms: number): string {
  return `${(bytes / (ms / 1000) / 1e9).toFixed(2)} GB/s`;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? '–' : `${(kib / 1024).toFixed(0)} MiB`;
}

/** The default legend of the results table (hash, clone: ours runs inside a child process). */
function defaultLegend(runs: DatasetRun[]): string {
  const baselines = [...new Set(runs.map((d) => `${d.dataset.label} (${d.fs}): \`${d.baseline ?? '–'}\``))];
  return (
    'median/min/max: the operation (ours: inside the child, from the call to its resolution; baselines: the whole process). ' +
    'process: whole child process (node start, module load, operation). CPU: user+sys of the process tree (GNU time, median). ' +
    "peak RSS: ours = the child's maxRSS (includes node + tsx), baselines = largest process of the tree. " +
    'vs baseline: ours median / baseline median (in parentheses: the median of per-round ratios, the noise-robust one); the baseline is ' +
    `${baselines.join(', ')}.`
  );
}

export function resultsTable(runs: DatasetRun[], legend = defaultLegend(runs)): string {
  const rows: string[][] = [];
  for (const d of runs) {
    for (const r of d.results) {
      const ratio = d.baseline && r.kind === 'ours' ? d.ratios.find((x) => x.ours === r.name && x.baseline === d.baseline) : undefined;
      const t = r.time;
      rows.push([
        d.dataset.label,
        d.fs,
        r.name,
        r.error && t.n === 0 ? 'failed (see notes)' : fmtMs(t.median),
        fmtMs(t.min),
        fmtMs(t.max),
        t.n > 0 && d.dataset.bytes >= 64 * 2 ** 20 ? gbps(d.dataset.bytes, t.median) : '–',
        t.n > 0 && d.dataset.files >= 100 ? `${((t.median * 1000) / d.dataset.files).toFixed(1)} µs` : '–',
        r.kind === 'ours' && r.procTime.n > 0 ? fmtMs(r.procTime.median) : '',
        r.cpu ? fmtMs(r.cpu.median) : '–',
        mib(r.peakRssKiB),
        ratio ? `${ratio.ratio.toFixed(2)} (${ratio.paired.toFixed(2)})` : '',
      ]);
    }
  }
  return [table(['dataset', 'fs', 'contender', 'median', 'min', 'max', 'rate', 'per file', 'process', 'CPU', 'peak RSS', 'vs baseline'], rows), '', legend].join('\n');
}

export function targetsTable(targets: TargetCheck[]): string {
  return table(
    ['workload', 'contender', 'measured', 'target', 'result'],
    targets.map((t) => [
      t.workload,
      t.contender,
      t.measured,
      t.target,
      `${t.pass ? 'PASS' : 'FAIL'}${t.informational ? ' (info)' : ''}`,
    ]),
  );
}

function machineLine(m: MachineFacts, runs: DatasetRun[] = []): string {
  const loads = runs.flatMap((d) => d.results.flatMap((r) => r.samples.flatMap((s) => (s?.load1 === undefined ? [] : [s.load1]))));
  const during = loads.length > 0 ? `, ${Math.min(...loads)}–${Math.max(...loads)} (1 min) before the timed runs` : '';
  return (
    `${m.nproc} × ${m.cpu}${m.shaNi ? ' (SHA-NI)' : ''}, kernel ${m.kernel}, ${m.memGiB} GiB RAM, bench/.data on ${m.dataFs}; ` +
    `${m.openssl.replace(/ \(Library.*\)$/, '')}, ${m.coreutils}, Node ${m.node}; DAMON: ${m.damon}; ` +
    `load average ${m.loadavgStart.join(' ')} at start, ${m.loadavgEnd?.join(' ') ?? '?'} at end${during}`
  );
}

export function renderSection(r: BenchReport, resultFile: string): string {
  const lines: string[] = [];
  lines.push(`Run: \`${r.invocation}\` — ${r.date}, git ${r.machine.git}, ${r.runs} interleaved runs per contender${r.runsNote ? ` (${r.runsNote})` : ''}${r.quick ? ' (QUICK: datasets at 1/10)' : ''}, ${Math.round(r.durationS)} s in total.`);
  lines.push('');
  lines.push(`Machine: ${machineLine(r.machine, r.datasets)}.`);
  lines.push(r.machine.nativeModule ? `Native core: ${r.machine.nativeModule}.` : 'Native core: did not run (see the failures below): fallback and baselines only.');
  for (const [k, v] of Object.entries(r.reference)) if (typeof v === 'string') lines.push(`${k}: ${v}.`);
  lines.push(`Raw data: [\`${resultFile}\`](../${resultFile}).`);
  if (r.skipped.length > 0) {
    lines.push('');
    for (const s of r.skipped) lines.push(`- Not measured: ${s}`);
  }
  lines.push('');
  lines.push(targetsTable(r.targets));
  lines.push('');
  lines.push(resultsTable(r.datasets, r.legend));
  const notes = r.datasets.flatMap((d) => d.notes.map((n) => `${d.dataset.label} (${d.fs}): ${n}`));
  if (notes.length > 0) {
    lines.push('');
    for (const n of notes) lines.push(`- ${n}`);
  }
  return lines.join('\n');
}

export function printReport(r: BenchReport): void {
  console.log('');
  console.log(`## ${r.command}: ${r.invocation}`);
  console.log(`machine: ${machineLine(r.machine, r.datasets)}`);
  for (const [k, v] of Object.entries(r.reference)) if (typeof v === 'string') console.log(`${k}: ${v}`);
  for (const s of r.skipped) console.log(`not measured: ${s}`);
  console.log('');
  console.log(resultsTable(r.datasets, r.legend));
  console.log('');
  console.log(targetsTable(r.targets));
  for (const d of r.datasets) for (const n of d.notes) console.log(`note: ${d.dataset.label} (${d.fs}): ${n}`);
}

/** Writes bench/results/<command>-<date>[-quick].json; returns its repo-relative path. */
export function writeJson(r: BenchReport): string {
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = r.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const rel = join('bench', 'results', `${r.command}-${stamp}${r.quick ? '-quick' : ''}.json`);
  writeFileSync(join(repoRoot, rel), `${JSON.stringify(r, null, 2)}\n`);
  return rel;
}

/** Replaces the text between `<!-- bench:<command> -->` and `<!-- /bench:<command> -->`. */
export function updateDoc(command: string, section: string, docPath = join(repoRoot, 'docs', 'benchmarks.md')): void {
  if (!existsSync(docPath)) throw new Error(`${docPath} does not exist`);
  const doc = readFileSync(docPath, 'utf8');
  const open = `<!-- bench:${command} -->`;
  const close = `<!-- /bench:${command} -->`;
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  if (a < 0 || b < a) throw new Error(`${docPath} has no ${open} … ${close} section`);
  const next = `${doc.slice(0, a + open.length)}\n${section}\n${doc.slice(b)}`;
  writeFileSync(docPath, next);
}
