/**
 * Process helpers for the benchmark harness: running commands (with timing, CPU time and peak
 * RSS through GNU time when present), shell quoting, cleanup on exit or signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/ is one level below it). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where generated datasets, loop images and scratch files live (gitignored). */
export const dataRoot = join(repoRoot, 'bench', '.data');
/** GNU time, used for whole-process wall time, CPU time and peak RSS of every timed child. */
export const gnuTime = '/usr/bin/time';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  wallMs: number;
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Leave stdout/stderr attached to ours (for long untimed steps the user may want to watch). */
  inherit?: boolean;
}

const running = new Set<ChildProcess>();

/** Runs a command to completion; never throws for a non-zero exit (check `code`). */
export function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    let end = start;
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? repoRoot,
      env: opts.env ?? process.env,
      stdio: ['ignore', opts.inherit ? 'inherit' : 'pipe', opts.inherit ? 'inherit' : 'pipe'],
    });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      running.delete(child);
      reject(e);
    });
    child.on('exit', () => {
      end = process.hrtime.bigint();
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        wallMs: Number(end - start) / 1e6,
      });
    });
  });
}

/** Like exec, but throws with the command's stderr when it fails. */
export async function run(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.signal ?? `exit ${String(r.code)}`}): ${r.stderr.trim().slice(-2000)}`);
  }
  return r;
}

/** Runs a bash script with pipefail; throws on failure. */
export function sh(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
  return run('bash', ['-c', `set -euo pipefail; ${script}`], opts);
}

/** Single-quotes a string for bash. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface TimedResult extends ExecResult {
  /** User + system CPU time of the process and its waited-for children (GNU time), ms. */
  cpuMs?: number;
  /** Peak RSS of the largest process in the tree (GNU time %M), KiB. */
  peakRssKiB?: number;
}

let timeFileSeq = 0;

/**
 * Runs a command under GNU time (when installed) and returns wall time measured here
 * (spawn → exit, ≈ 1 ms of overhead for the extra exec), plus CPU time and peak RSS.
 */
export async function timed(cmd: string, args: string[], opts: ExecOptions = {}): Promise<TimedResult> {
  if (!hasGnuTime()) return exec(cmd, args, opts);
  mkdirSync(join(dataRoot, 'tmp'), { recursive: true });
  const file = join(dataRoot, 'tmp', `time-${process.pid}-${timeFileSeq++}.txt`);
  const r = await exec(gnuTime, ['-f', 'JVSBENCH %U %S %M', '-o', file, cmd, ...args], opts);
  const res: TimedResult = r;
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const m = /^JVSBENCH ([\d.]+) ([\d.]+) (\d+)$/.exec(lines[lines.length - 1] ?? '');
    if (m) {
      res.cpuMs = (Number(m[1]) + Number(m[2])) * 1000;
      res.peakRssKiB = Number(m[3]);
    }
  } catch {
    // GNU time did not write the file (e.g. it was killed): no CPU/RSS for this run.
  }
  rmSync(file, { force: true });
  return res;
}

let gnuTimeChecked: boolean | undefined;
export function hasGnuTime(): boolean {
  gnuTimeChecked ??= existsSync(gnuTime);
  return gnuTimeChecked;
}

/** Is a program on PATH? */
export async function which(prog: string): Promise<string | undefined> {
  const r = await exec('bash', ['-c', `command -v ${q(prog)}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

// ---- cleanup ---------------------------------------------------------------------------------

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];

/** Registers an undo step; returns a function that runs it now (and unregisters it). */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  cleanups.push(fn);
  return async () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) {
      cleanups.splice(i, 1);
      await fn();
    }
  };
}

/** Runs every registered cleanup, newest first, reporting (not throwing) failures. */
export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn?.();
    } catch (e) {
      console.error(`cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** On SIGINT/SIGTERM: stop our children, undo mounts etc., then exit. */
export function installSignalHandlers(): void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${sig}: stopping children and cleaning up…`);
    for (const c of running) c.kill('SIGTERM');
    void runCleanups().finally(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1 && Number.isInteger(n / 1024)) {
    n /= 1024;
    i++;
  }
  return `${n}${units[i] ?? ''}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
