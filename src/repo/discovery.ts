/**
 * Finding the repository and the worktree of the current directory (CONTRACT §1.7).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';

import { JvsError } from '../errors.js';
import { goPathError } from '../fs/go-errors.js';
import { RepoLayout } from './layout.js';
import { nameProblem } from './names.js';

export const SUPPORTED_FORMAT = 1;

export interface Repo {
  layout: RepoLayout;
  root: string;
  repoId: string;
  formatVersion: number;
}

/** Why discovery failed: the class and the detail text the commands wrap (§1.7). */
export class DiscoveryError extends Error {
  constructor(
    readonly code: 'E_NOT_A_REPO' | 'E_FORMAT_UNSUPPORTED' | 'E_IO',
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** `$PWD` when it names the same directory as getcwd() (a symlinked path is kept as typed). */
export function currentDirectory(): string {
  let real: string;
  try {
    real = process.cwd();
  } catch (e) {
    throw new JvsError('E_IO', `cannot get current directory: ${e instanceof Error ? e.message : String(e)}`);
  }
  const pwd = process.env['PWD'];
  if (pwd && pwd.startsWith('/')) {
    try {
      const a = statSync(pwd);
      const b = statSync(real);
      if (a.dev === b.dev && a.ino === b.ino) return pwd;
    } catch {
      // $PWD is stale or unreadable: getcwd() is the truth.
    }
  }
  return real;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The leading decimal integer of the file's content, as discovery reads it (`1abc` → 1). */
function readFormatVersion(layout: RepoLayout): number {
  let text: string;
  try {
    text = readFileSync(layout.formatVersion, 'utf8');
  } catch (e) {
    throw new DiscoveryError('E_NOT_A_REPO', `read format_version: ${goPathError('open', layout.formatVersion, e)}`);
  }
  const m = /^\s*(\d+)/.exec(text);
  if (!m) throw new DiscoveryError('E_NOT_A_REPO', 'parse format_version: expected integer');
  const v = Number(m[1]);
  if (v > SUPPORTED_FORMAT) {
    throw new DiscoveryError('E_FORMAT_UNSUPPORTED', `E_FORMAT_UNSUPPORTED: format version ${v} > supported ${SUPPORTED_FORMAT}`);
  }
  return v;
}

/** Opens the repository at `root` (which contains `.jvs/`). */
export function openRepoAt(root: string): Repo {
  const layout = new RepoLayout(root);
  const formatVersion = readFormatVersion(layout);
  let repoId = '';
  try {
    repoId = readFileSync(layout.repoId, 'utf8').trim();
  } catch {
    // A missing repo_id is tolerated (§1.7).
  }
  return { layout, root, repoId, formatVersion };
}

/** Walks up from `cwd` (inclusive) to the first directory holding a `.jvs` directory. */
export function findRepo(cwd: string): Repo {
  let dir = cwd;
  for (;;) {
    if (isDir(`${dir === '/' ? '' : dir}/.jvs`)) return openRepoAt(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new DiscoveryError('E_NOT_A_REPO', 'no JVS repository found (no .jvs/ in parent directories)');
}

/** The worktree that `cwd` is inside, if any: `main/…` or `worktrees/<valid name>/…`. */
export function worktreeOf(repoRoot: string, cwd: string): string | undefined {
  const rel = relative(repoRoot, cwd);
  if (rel === '' || rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  if (parts[0] === 'main') return 'main';
  const name = parts[1];
  if (parts[0] === 'worktrees' && name !== undefined && name !== 'main' && nameProblem(name) === undefined) return name;
  return undefined;
}

/** The error a repository-scoped command prints when discovery fails (§1.7). */
export function repoScopedError(e: DiscoveryError): JvsError {
  if (e.code === 'E_FORMAT_UNSUPPORTED') return new JvsError(e.code, `not a JVS repository: ${e.detail}`);
  return new JvsError('E_NOT_A_REPO', 'not a JVS repository (or any parent)', {
    shape: 'block',
    blockLines: ['  Run jvs init <name> to create a new repository.'],
    hint: 'Run jvs init <name> to create a new repository.',
  });
}

/** The error a worktree-scoped command prints when discovery fails (§1.7). */
export function worktreeScopedError(e: DiscoveryError): JvsError {
  return new JvsError(e.code === 'E_FORMAT_UNSUPPORTED' ? e.code : 'E_NOT_A_REPO', `not a JVS repository: ${e.detail}`);
}

export const NOT_IN_WORKTREE = (): JvsError =>
  new JvsError('E_NOT_IN_WORKTREE', 'not inside a worktree (current directory is not under main/ or worktrees/)');
