/**
 * Runs the built CLI (`node dist/cli/main.js`, after `npm run build:ts`) as a child process, the
 * way users and scripts do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface RunOptions {
  cwd?: string;
  /** Added to the environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  input?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number;
}

/** Variables that change colors, engines or the native side: tests set them explicitly. */
const CLEARED = ['NO_COLOR', 'FORCE_COLOR', 'TERM', 'JVS_ENGINE', 'JVS_SNAPSHOT_ENGINE'];

function childEnv(cwd: string, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PWD: cwd };
  for (const k of CLEARED) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build:ts" before the CLI tests`);
}

/** `jvs <args>` with stdin from `input` (empty by default) and pipes for stdout and stderr. */
export function jvs(args: readonly string[], opts: RunOptions = {}): RunResult {
  requireBuild();
  const cwd = opts.cwd ?? process.cwd();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: childEnv(cwd, opts.env ?? {}),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** The last stderr line parsed as the JSON error object of §1.5. */
export function jsonError(r: RunResult): { code: string; message: string; hint: string } {
  const last = r.stderr.trimEnd().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(last) as { error: { code: string; message: string; hint: string } };
  return parsed.error;
}

/** Whether `script(1)` (util-linux) can give a child a pseudo-terminal here. */
export const hasScript: boolean = spawnSync('script', ['-qec', 'true', '/dev/null'], { stdio: 'ignore' }).status === 0;

/**
 * `jvs <args>` under a pseudo-terminal (`script -qec`): stdout and stderr are both the terminal
 * and arrive merged, with `\r\n` line ends.
 */
export function jvsInTerminal(args: readonly string[], opts: RunOptions = {}): RunResult {
  requireBuild();
  const cwd = opts.cwd ?? process.cwd();
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd,
    env: childEnv(cwd, { TERM: 'xterm', ...opts.env }),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}
