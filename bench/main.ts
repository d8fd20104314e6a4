/**
 * Benchmark harness entry point:
 *
 *   npm run bench -- hash  [--runs N] [--quick] [--only <contender>] [--dataset <name>]
 *   npm run bench -- clone [--runs N] [--quick] [--only <contender>] [--dataset <name>] [--fs ext4|xfs]
 *   npm run bench -- repo  [--runs N] [--quick] [--only <contender>] [--dataset cli|library|history|diff]
 *   npm run bench -- delta [--runs N] [--quick] [--only <contender>] [--dataset 100k|10GiB|1M] [--full] [--fs ext4|xfs|btrfs]
 *   npm run bench -- smoke            (tiny datasets, 1 run, checks that every contender works)
 *   npm run bench -- render <bench/results/….json>   (rewrite the doc section from a saved run)
 *
 * Prints a table, writes bench/results/<command>-<date>.json, and (full runs) rewrites the
 * command's section of docs/benchmarks.md. See docs/benchmarks.md.
 */
import { loadavg } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

import { benchClone } from './clone.js';
import { benchDelta } from './delta.js';
import { benchHash } from './hash.js';
import { benchRepo } from './repo.js';
import { describeNative, machineFacts } from './machine.js';
import type { BenchOptions, CommandOutcome } from './options.js';
import { printReport, renderSection, updateDoc, writeJson, type BenchReport } from './report.js';
import { runOurs } from './runner.js';
import { hasGnuTime, installSignalHandlers, repoRoot, runCleanups } from './util.js';

const USAGE = `usage: npm run bench -- <hash|clone|repo|delta|smoke> [options]
       npm run bench -- render <bench/results/<command>-<date>.json>

  --runs N           interleaved rounds per contender (default 5; the median is reported;
                     repo: ×4 for CLI start-up, ×40 library snapshots, ×2 history and diff)
  --quick            datasets at 1/10 size, for smoke runs (results are indicative only)
  --scale F          dataset scale factor (overrides --quick's 0.1)
  --only S           only contenders whose name contains S (repeatable, or comma-separated)
  --dataset S        only datasets whose name contains S, e.g. 1KiB, 1MiB, 2GiB
                     (repo: the groups cli, library-snapshot, history, diff;
                     delta: 100k, and the heavy 10GiB and 1M, which run only when named)
  --full             delta: all its datasets, the heavy ones included (hours, see docs/benchmarks.md)
  --fs ext4|xfs|btrfs  clone, delta: only this filesystem (ext4 = wherever bench/.data lives; btrfs: delta only)
  --doc / --no-doc   rewrite docs/benchmarks.md (default: yes for full runs, no with --quick/--scale/--only)
  --no-json          do not write bench/results/*.json
  --native PATH      native module to load (sets JVS_NATIVE_LIBRARY for the children);
                     default: the loader's search (dist/native/jvs.<platform>.node)
`;

type MeasureCommand = 'hash' | 'clone' | 'repo' | 'delta';
const MEASURE_COMMANDS: readonly string[] = ['hash', 'clone', 'repo', 'delta'] satisfies MeasureCommand[];

interface Cli {
  command: MeasureCommand | 'smoke';
  opts: Omit<BenchOptions, 'log'>;
  doc: boolean | undefined;
  json: boolean;
}

function parse(argv: string[]): Cli {
  const [command, ...rest] = argv;
  if (command !== 'smoke' && !MEASURE_COMMANDS.includes(command ?? '')) throw new Error(USAGE);
  const cli: Cli = { command: command as Cli['command'], opts: { runs: 5, quick: false, scale: 1, only: [], dataset: [], fs: [], full: false }, doc: undefined, json: true };
  let scaleGiven = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n\n${USAGE}`);
      return v;
    };
    const list = (): string[] =>
      value()
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
    switch (a) {
      case '--runs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new Error('--runs needs a positive integer');
        cli.opts.runs = n;
        break;
      }
      case '--quick':
        cli.opts.quick = true;
        break;
      case '--scale': {
        const f = Number(value());
        if (!(f > 0 && f <= 1)) throw new Error('--scale needs a number in (0, 1]');
        cli.opts.scale = f;
        scaleGiven = true;
        break;
      }
      case '--only':
        cli.opts.only.push(...list());
        break;
      case '--dataset':
        cli.opts.dataset.push(...list());
        break;
      case '--fs':
        cli.opts.fs.push(...list());
        break;
      case '--full':
        cli.opts.full = true;
        break;
      case '--doc':
        cli.doc = true;
        break;
      case '--no-doc':
        cli.doc = false;
        break;
      case '--no-json':
        cli.json = false;
        break;
      case '--native':
        process.env['JVS_NATIVE_LIBRARY'] = resolve(value());
        break;
      case '-h':
      case '--help':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  if (cli.opts.quick && !scaleGiven) cli.opts.scale = 0.1;
  if (cli.opts.scale < 1) cli.opts.quick = true;
  return cli;
}

const log = (m: string): void => console.error(m);

async function idleRss(command: MeasureCommand): Promise<string> {
  try {
    const { report } = await runOurs('fallback', ['noop']);
    const where = command === 'repo' || command === 'delta' ? 'the "library" rows\' RSS' : 'every "jvs" RSS figure';
    return `${(report.maxRssKiB / 1024).toFixed(0)} MiB (node + tsx, core not loaded): included in ${where}`;
  } catch (e) {
    return `unknown (${e instanceof Error ? e.message : String(e)})`;
  }
}

async function runCommand(command: MeasureCommand, opts: BenchOptions): Promise<CommandOutcome> {
  if (command === 'repo') return benchRepo(opts);
  if (command === 'delta') return benchDelta(opts);
  return command === 'hash' ? benchHash(opts) : benchClone(opts);
}

async function smoke(): Promise<boolean> {
  // Tiny datasets, one round: every contender must produce a sample and the hashes must agree.
  let ok = true;
  for (const command of ['hash', 'clone'] as const) {
    const opts: BenchOptions = { runs: 1, quick: true, scale: 0.01, only: [], dataset: [], fs: [], full: false, log };
    const out = await runCommand(command, opts);
    for (const d of out.datasets) {
      for (const r of d.results) {
        const fine = r.time.n === 1 || (r.variant === 'native' && /native module cannot be loaded|is not a function/.test(r.error ?? ''));
        console.log(`${fine ? 'ok  ' : 'FAIL'} ${command} ${d.dataset.label} ${d.fs} ${r.name}${r.error ? `: ${r.error.split('\n')[0] ?? ''}` : ''}`);
        if (!fine) ok = false;
      }
      for (const n of d.notes) {
        if (/MISMATCH|DEGRADED/.test(n) && !(d.fs !== 'xfs' && /DEGRADED/.test(n))) {
          console.log(`FAIL ${command} ${d.dataset.label} ${d.fs}: ${n}`);
          ok = false;
        }
      }
    }
    for (const s of out.skipped) console.log(`skip ${command}: ${s}`);
  }
  return ok;
}

/**
 * Rewrites the doc section of a saved run. The native module's description is recomputed when
 * the same file (same mtime) is still there, so a corrected classifier applies to old runs.
 */
function render(file: string): number {
  const abs = resolve(file);
  const report = JSON.parse(readFileSync(abs, 'utf8')) as BenchReport;
  const corePath = report.datasets
    .flatMap((d) => d.results.flatMap((r) => r.samples.map((s) => s?.info?.['corePath'])))
    .find((p): p is string => typeof p === 'string');
  const built = (d: string | undefined): string | undefined => /\(built ([^,]+),/.exec(d ?? '')?.[1];
  if (corePath && existsSync(corePath)) {
    const now = describeNative(corePath);
    if (built(now) === built(report.machine.nativeModule) && now !== report.machine.nativeModule) {
      report.machine.nativeModule = now;
      writeFileSync(abs, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`updated the native module description in ${file}`);
    }
  }
  updateDoc(report.command, renderSection(report, relative(repoRoot, abs)));
  console.log(`updated docs/benchmarks.md (section ${report.command}) from ${file}`);
  return 0;
}

async function main(): Promise<number> {
  if (process.argv[2] === 'render') {
    const file = process.argv[3];
    if (!file) {
      console.error(USAGE);
      return 2;
    }
    return render(file);
  }
  let cli: Cli;
  try {
    cli = parse(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  installSignalHandlers();
  if (!hasGnuTime()) log('note: /usr/bin/time (Debian package "time") is missing: no CPU time or RSS for baselines');
  if (cli.command === 'smoke') return (await smoke()) ? 0 : 1;

  const started = Date.now();
  const date = new Date().toISOString();
  const machine = await machineFacts();
  const opts: BenchOptions = { ...cli.opts, log };
  const idle = await idleRss(cli.command);
  const outcome = await runCommand(cli.command, opts);
  machine.loadavgEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  // The module the native children actually loaded (JVS_NATIVE_LIBRARY or the loader's search).
  const corePath = outcome.datasets
    .flatMap((d) => d.results.flatMap((r) => r.samples.map((s) => s?.info?.['corePath'])))
    .find((p): p is string => typeof p === 'string');
  if (corePath) machine.nativeModule = describeNative(corePath);
  else delete machine.nativeModule;
  if (machine.nativeModule?.includes('DEBUG')) log(`WARNING: the native module is a debug build: ${machine.nativeModule}`);
  const report: BenchReport = {
    command: cli.command,
    invocation: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
    date,
    quick: cli.opts.quick,
    runs: cli.opts.runs,
    machine,
    reference: { ...outcome.reference, 'Idle child peak RSS': idle },
    datasets: outcome.datasets,
    targets: outcome.targets,
    skipped: outcome.skipped,
    ...(outcome.legend ? { legend: outcome.legend } : {}),
    ...(outcome.runsNote ? { runsNote: outcome.runsNote } : {}),
    durationS: (Date.now() - started) / 1000,
  };
  printReport(report);
  if (cli.json) {
    const file = writeJson(report);
    console.log(`\nresults: ${file}`);
    const doc = cli.doc ?? (!cli.opts.quick && cli.opts.only.length === 0 && cli.opts.dataset.length === 0 && cli.opts.fs.length === 0);
    if (doc) {
      updateDoc(cli.command, renderSection(report, file));
      console.log(`updated docs/benchmarks.md (section ${cli.command})`);
    }
  }
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
} finally {
  await runCleanups();
}
process.exit(code);
