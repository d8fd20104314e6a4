/** Options shared by the bench commands, and what a command hands back to main. */
import type { DatasetRun, TargetCheck } from './report.js';

export interface BenchOptions {
  /** Interleaved rounds; every contender runs once per round. */
  runs: number;
  /** Smaller datasets (1/10) for smoke runs; results are indicative only. */
  quick: boolean;
  /** Dataset scale factor (1, or 0.1 with --quick, or --scale). */
  scale: number;
  /** Lower-case substrings: keep only contenders whose name contains one (empty = all). */
  only: string[];
  /** Lower-case substrings: keep only datasets whose name or label contains one (empty = all). */
  dataset: string[];
  /** clone, delta: filesystems to run on (`ext4` = the local fs of bench/.data, `xfs`, `btrfs`). */
  fs: string[];
  /** delta: also the heavy datasets (10 GiB, 1M files), which otherwise run only when --dataset names them. */
  full: boolean;
  log: (m: string) => void;
}

export interface CommandOutcome {
  /** Command-specific reference numbers (e.g. openssl speed). */
  reference: Record<string, unknown>;
  datasets: DatasetRun[];
  targets: TargetCheck[];
  /** Parts not measured, and why (no XFS, native core missing, …). */
  skipped: string[];
  /** Legend of the results table, when the default (ours in a child, baselines as processes) does not fit. */
  legend?: string;
  /** How the command turns --runs into rounds, when not one round per run for every contender. */
  runsNote?: string;
}
