// vitest globalSetup: provide real XFS, btrfs, ext4 and JuiceFS directories to the tests.
//
// Runs once in the main vitest process before any test file. For each filesystem it either passes
// through what the environment already says (JVS_TEST_<FS> or JVS_TEST_<FS>_SKIP, e.g. set by
// .ci/run or a developer) or asks test/support/jvs-test-fs.sh to create it (sparse loop images
// for XFS/btrfs, a temp dir for ext4, a sqlite3 + file-storage JuiceFS volume). The results are
// written into process.env here; the forked test workers inherit this environment, and the same
// values are also provided through vitest's provide/inject as `jvsTestFs`.
// Tests read them through test/support/filesystems.ts. See docs/testing.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const FS_NAMES = ['xfs', 'btrfs', 'ext4', 'juicefs'] as const;
type FsName = (typeof FS_NAMES)[number];

const SCRIPT = fileURLToPath(new URL('../support/jvs-test-fs.sh', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** Every JVS_TEST_* variable the setup produced (dirs, skip reasons, JuiceFS details). */
    jvsTestFs: Record<string, string>;
  }
}

const envVar = (fs: FsName): string => `JVS_TEST_${fs.toUpperCase()}`;

function log(msg: string): void {
  process.stderr.write(`[jvs-test-fs] ${msg}\n`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(-300);
}

function runScript(args: string[], timeoutMs: number): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    env: process.env,
  });
  const stderr = `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  return { ok: r.status === 0 && !r.error, stdout: r.stdout ?? '', stderr };
}

function collected(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('JVS_TEST_') && v !== undefined) out[k] = v;
  }
  return out;
}

function summary(): string {
  return FS_NAMES.map((fs) => {
    const dir = process.env[envVar(fs)];
    return dir ? `${fs}=${dir}` : `${fs}: skipped (${process.env[`${envVar(fs)}_SKIP`] ?? '?'})`;
  }).join('\n  ');
}

export default function setup(project: TestProject): (() => void) | undefined {
  const missing = FS_NAMES.filter((fs) => !process.env[envVar(fs)] && !process.env[`${envVar(fs)}_SKIP`]);
  if (missing.length === 0) {
    // Everything was decided by the caller (.ci/run or a developer): create nothing.
    project.provide('jvsTestFs', collected());
    return undefined;
  }

  if (process.platform !== 'linux') {
    for (const fs of missing) {
      process.env[`${envVar(fs)}_SKIP`] =
        `test filesystems are only created on Linux (platform ${process.platform}); set ${envVar(fs)} to a directory on ${fs} to test it`;
    }
    project.provide('jvsTestFs', collected());
    log(`\n  ${summary()}`);
    return undefined;
  }

  const started = Date.now();
  const root = process.env.JVS_TEST_FS_ROOT ?? tmpdir();
  const state = mkdtempSync(join(root, 'jvs-testfs.'));
  let tornDown = false;
  const teardown = (): void => {
    if (tornDown) return;
    tornDown = true;
    const t0 = Date.now();
    const r = runScript(['down', state], 120_000);
    if (!r.ok) {
      // Never silent: a leftover mount or loop device is a bug worth seeing.
      log(`teardown of ${state} FAILED:\n${r.stderr}`);
      process.exitCode = process.exitCode || 1;
    } else if (process.env.JVS_TEST_FS_VERBOSE === '1') {
      log(`teardown ${Date.now() - t0} ms`);
    }
  };
  // vitest turns SIGINT/SIGTERM into process.exit() from inside its own 'exit' listener, which
  // ends the process before later 'exit' listeners run: so ours must come first (prepend).
  // Signals nobody handles (e.g. SIGHUP) would kill the process without any 'exit' event: handle
  // those here. A SIGKILL still leaves the state dir behind; the next run's `up` removes it (its
  // owner pid is gone).
  process.prependOnceListener('exit', teardown);
  const signalHandlers: [NodeJS.Signals, () => void][] = [];
  for (const [sig, num] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
    if (process.listenerCount(sig) > 0) continue;
    const h = (): void => {
      teardown();
      process.exit(128 + num);
    };
    process.once(sig, h);
    signalHandlers.push([sig, h]);
  }

  const r = runScript(['up', '--state', state, '--owner-pid', String(process.pid)], 300_000);
  let values: Record<string, string> = {};
  try {
    for (const line of readFileSync(join(state, 'env'), 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
    }
  } catch {
    values = {};
  }
  if (!r.ok || Object.keys(values).length === 0) {
    const reason = `jvs-test-fs.sh up failed: ${oneLine(r.stderr) || 'no output'}`;
    log(reason);
    for (const fs of missing) values[`${envVar(fs)}_SKIP`] = reason;
  }
  for (const [k, v] of Object.entries(values)) {
    // only fill what was missing; pass-through values are already in process.env
    if (process.env[k] === undefined) process.env[k] = v;
  }
  project.provide('jvsTestFs', collected());
  if (process.env.JVS_TEST_FS_VERBOSE === '1') log(r.stderr.trimEnd());
  log(`ready in ${Date.now() - started} ms:\n  ${summary()}`);

  return () => {
    // `down` deletes the state dir itself, and refuses to while anything is still mounted in it.
    teardown();
    process.off('exit', teardown);
    for (const [sig, h] of signalHandlers) process.off(sig, h);
  };
}
