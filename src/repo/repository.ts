/**
 * The library's entry point to a repository. Each command of the contract is a method here (or
 * in a module it delegates to) returning an object equal to the command's `--json` output; the
 * CLI only parses arguments and formats results.
 *
 * The modules behind the commands are imported when a method first runs, not with this one: a
 * CLI process runs one command, and loading every command's modules (doctor, gc, compression,
 * restore…) cost each `jvs snapshot` or `jvs status` tens of milliseconds — paid by agents that
 * snapshot before every tool call.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';

import { nowTimestamp } from '../encoding/timestamp.js';
import { selectSnapshotEngine, type StoredEngine } from '../engine/select.js';
import { JvsError } from '../errors.js';
import { fsyncDir, writeFileAtomic } from '../fs/atomic.js';
import { appendAudit, type AuditEvent } from '../formats/audit.js';
import { readWorktreeConfig, writeWorktreeConfig } from '../formats/worktree-config.js';
import { currentDirectory, DiscoveryError, findRepo, NOT_IN_WORKTREE, openRepoAt, repoScopedError, worktreeOf, worktreeScopedError, type Repo } from './discovery.js';
import { RepoLayout } from './layout.js';
import { snapshotDirs } from './catalog.js';
import type { VerifyAllOptions, VerifyAllReport, VerifyOptions, VerifyResult } from '../integrity/index.js';
import type { DoctorOptions, DoctorResult } from '../doctor/index.js';
import type { GcRunOptions, GcRunResult } from '../gc/index.js';
import type { PinAddOptions, PinRemoveResult } from '../pin/index.js';
import type { ConfigGetResult, ConfigSetResult, ConfigShowResult } from '../config/commands.js';
import type { GcPlan } from '../formats/gc-plan.js';
import type { Pin } from '../formats/pin.js';
import type { RetentionFlags } from '../config/retention.js';
import { nameProblem, validateName } from './names.js';
import { withRepoLock, withWorktreeLocks } from '../locks/index.js';
import { loadWorktree, snapshot, type SnapshotOptions, type SnapshotResult } from '../snapshot/snapshot.js';
import type { Descriptor } from '../formats/descriptor.js';

import type { WorktreeResult } from '../worktree/create.js';

import type { WorktreeConfig } from '../formats/worktree-config.js';
import type { DiffOptions, DiffResult } from '../inspect/diff.js';
import type { StatusResult } from '../inspect/status.js';
import type { LsEntry } from '../inspect/browse.js';
import type { Readable } from 'node:stream';
import type { RestoreOptions, RestoreResult } from '../restore/restore.js';
import { pathExists } from '../fs/exists.js';
import { createSubvolumePayload } from '../fs/subvolume.js';

export interface InitResult {
  format_version: number;
  repo_id: string;
  repo_root: string;
}

export interface InfoResult {
  format_version: number;
  repo_id: string;
  repo_root: string;
  snapshot_engine: StoredEngine;
  total_snapshots: number;
  total_worktrees: number;
}

export interface RepositoryOptions {
  /** Receives `warning:` texts (without the prefix): degraded engines, failed audit appends, … */
  onWarning?: (message: string) => void;
  /** Receives `note:` texts (without the prefix), e.g. `completed interrupted restore to <ID>`. */
  onNote?: (message: string) => void;
  /** Environment consulted for JVS_ENGINE and friends (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * The command line recorded in lock records (§3.13), so a waiting process can say who holds
   * the lock; the CLI passes its argv. Default: `jvs <operation>`.
   */
  command?: string;
}


export class Repository {
  readonly layout: RepoLayout;
  readonly root: string;
  readonly repoId: string;
  readonly formatVersion: number;
  /** Where `warning:` texts go (the command modules report through it). */
  readonly warn: (message: string) => void;
  readonly note: (message: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** The command line for lock records, when the caller gave one. */
  readonly command: string | undefined;

  protected constructor(repo: Repo, opts: RepositoryOptions) {
    this.layout = repo.layout;
    this.root = repo.root;
    this.repoId = repo.repoId;
    this.formatVersion = repo.formatVersion;
    this.warn = opts.onWarning ?? (() => undefined);
    this.note = opts.onNote ?? (() => undefined);
    this.env = opts.env ?? process.env;
    this.command = opts.command;
  }

  /** Runs `fn` holding the locks of `worktrees` (§5.6); `operation` names it in the lock record. */
  async withWorktreeLocks<T>(worktrees: readonly string[], operation: string, fn: () => Promise<T>): Promise<T> {
    await this.ensureExt();
    return withWorktreeLocks(this.layout, worktrees, this.command ?? `jvs ${operation}`, fn);
  }

  /** Runs `fn` holding the repository lock (gc run, doctor repairs). */
  async withRepoLock<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await this.ensureExt();
    return withRepoLock(this.layout, this.command ?? `jvs ${operation}`, fn);
  }

  /**
   * Creates a repository at `path` (created if missing; an existing non-repository directory is
   * used as is) with its `main` worktree (§2.1). Refuses an existing repository (E_EXISTS).
   */
  static async init(path: string, opts: RepositoryOptions = {}): Promise<{ repository: Repository; result: InitResult }> {
    const root = resolve(path);
    const layout = new RepoLayout(root);
    if (await pathExists(layout.jvs)) {
      throw new JvsError('E_EXISTS', `failed to initialize repository: E_EXISTS: repository already exists: ${root}`);
    }
    const repoId = randomUUID();
    try {
      const dirs = [
        layout.worktreeDir('main'),
        layout.snapshotsDir,
        layout.descriptorsDir,
        layout.intentsDir,
        `${layout.jvs}/audit`,
        layout.gcDir,
        layout.payload('main'),
        `${root}/worktrees`,
      ];
      const main = layout.payload('main');
      for (const d of dirs) {
        // `main` is made a btrfs subvolume where that works, for O(1) snapshots (§6.1 step 3b).
        if (d === main && !(await pathExists(d)) && (await createSubvolumePayload(d, opts.onNote ?? (() => undefined)))) continue;
        await mkdir(d, { recursive: true, mode: 0o755 });
      }
      await writeFileAtomic(layout.formatVersion, '1\n', 0o600);
      await writeFileAtomic(layout.repoId, `${repoId}\n`, 0o600);
      await writeWorktreeConfig(layout.worktreeConfig('main'), { name: 'main', created_at: nowTimestamp() });
      // The new directories themselves must survive a crash, not only the files in them.
      for (const d of [...dirs, `${root}/.jvs`, root]) await fsyncDir(d);
    } catch (e) {
      if (e instanceof JvsError) throw e;
      throw new JvsError('E_IO', `failed to initialize repository: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const repository = new Repository({ layout, root, repoId, formatVersion: 1 }, opts);
    await repository.audit({ event_type: 'init', worktree_name: 'main', details: { repo_id: repoId } });
    return { repository, result: { format_version: 1, repo_id: repoId, repo_root: root } };
  }

  /** Opens the repository containing `path` (default: the current directory). */
  static async open(path: string = currentDirectory(), opts: RepositoryOptions = {}): Promise<Repository> {
    try {
      return new Repository(findRepo(resolve(path)), opts);
    } catch (e) {
      if (e instanceof DiscoveryError) throw repoScopedError(e);
      throw e;
    }
  }

  /**
   * For worktree-scoped commands (§1.7): the repository containing `path` and the worktree
   * `path` is inside. Failures: `not a JVS repository: <detail>` [E_NOT_A_REPO or
   * E_FORMAT_UNSUPPORTED], `not inside a worktree (…)` [E_NOT_IN_WORKTREE].
   */
  static async openWorktree(path: string = currentDirectory(), opts: RepositoryOptions = {}): Promise<{ repository: Repository; worktree: string }> {
    let repo: Repo;
    try {
      repo = findRepo(resolve(path));
    } catch (e) {
      if (e instanceof DiscoveryError) throw worktreeScopedError(e);
      throw e;
    }
    const worktree = worktreeOf(repo.root, resolve(path));
    if (worktree === undefined) throw NOT_IN_WORKTREE();
    return { repository: new Repository(repo, opts), worktree };
  }

  /**
   * For repository-scoped commands that may use the current worktree (`HEAD` in diff/ls/cat,
   * `history --all` markers): the repository (repo-scoped errors) and the worktree of `path`,
   * if it is inside one.
   */
  static async openWithWorktree(path: string = currentDirectory(), opts: RepositoryOptions = {}): Promise<{ repository: Repository; worktree: string | undefined }> {
    const repository = await Repository.open(path, opts);
    return { repository, worktree: worktreeOf(repository.root, resolve(path)) };
  }

  /** Opens the repository whose root is exactly `root`. */
  static openAt(root: string, opts: RepositoryOptions = {}): Repository {
    try {
      return new Repository(openRepoAt(resolve(root)), opts);
    } catch (e) {
      if (e instanceof DiscoveryError) throw repoScopedError(e);
      throw e;
    }
  }

  /** Appends an audit record; a failure is a warning, never an error (§3.11). */
  async audit(event: AuditEvent): Promise<void> {
    try {
      await appendAudit(this.layout.auditLog, event, nowTimestamp());
    } catch (e) {
      this.warn(`failed to write audit log: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Worktrees whose config loads, by directory name, sorted; unloadable ones go to `skipped`. */
  private async loadWorktrees(skipped?: (name: string, err: unknown) => void): Promise<{ name: string; config: WorktreeConfig }[]> {
    const entries = await readdir(this.layout.worktreesDir).catch(() => [] as string[]);
    const out: { name: string; config: WorktreeConfig }[] = [];
    for (const name of entries.sort()) {
      try {
        out.push({ name, config: await readWorktreeConfig(this.layout.worktreeConfig(name)) });
      } catch (e) {
        skipped?.(name, e);
      }
    }
    return out;
  }

  /** Configs of the worktrees whose config loads, sorted by name (`worktree list`). */
  async worktreeConfigs(skipped?: (name: string, err: unknown) => void): Promise<WorktreeConfig[]> {
    return (await this.loadWorktrees(skipped)).map((w) => w.config);
  }

  /** Names of the worktrees whose config loads, sorted. */
  async worktreeNames(): Promise<string[]> {
    return (await this.loadWorktrees()).map((w) => w.name);
  }

  /** `jvs snapshot` (§2.3): snapshots a worktree; the result equals `snapshot --json`. */
  snapshot(opts: SnapshotOptions): Promise<SnapshotResult> {
    return this.withWorktreeLocks([opts.worktree], 'snapshot', () => snapshot(this, opts));
  }

  /**
   * `jvs history` (§2.4): the lineage of `worktree`'s head, or with `all` every snapshot;
   * newest first. (The CLI prints JSON `null` for an empty result, `[]` when there is no head.)
   */
  async history(opts: { worktree?: string; all?: boolean; limit?: number; grep?: string; tag?: string }): Promise<Descriptor[]> {
    const { worktree, ...rest } = opts;
    const headId = worktree === undefined ? undefined : (await loadWorktree(this, worktree)).head_snapshot_id;
    return (await import('./history.js')).history(this.layout, { ...rest, ...(headId ? { headId } : {}) });
  }

  /** `jvs restore` (§2.6, §5.3): the result equals `restore --json`. */
  restore(opts: RestoreOptions): Promise<RestoreResult> {
    return this.withWorktreeLocks([opts.worktree], 'restore', async () => (await import('../restore/restore.js')).restore(this, opts));
  }

  /** `jvs worktree create <name> [--from REF]` (§2.7): the new config (+ `degraded`). */
  createWorktree(name: string, opts: { from?: string } = {}): Promise<WorktreeResult> {
    // Validated first: a name is joined into the lock's path only once it is known to be safe.
    return withValidName(name, 'create worktree', () => this.withWorktreeLocks([name], 'worktree create', async () => (await import('../worktree/create.js')).createWorktree(this, name, opts)));
  }

  /** `jvs worktree fork [ref] [name]` from the worktree `current` (§2.7). */
  async forkWorktree(current: string, args: string[] = []): Promise<WorktreeResult> {
    // The new name is only known once the arguments are resolved: fork locks it itself.
    return (await import('../worktree/create.js')).forkWorktree(this, current, args);
  }

  /** `jvs worktree list` (§2.7). */
  async listWorktrees(): Promise<WorktreeConfig[]> {
    return (await import('../worktree/manage.js')).listWorktrees(this);
  }

  /** `jvs worktree path <name>` (§2.7). */
  async worktreePath(name: string): Promise<string> {
    return (await import('../worktree/manage.js')).worktreePath(this, name);
  }

  /** `jvs worktree rename <old> <new>` (§2.7). */
  renameWorktree(oldName: string, newName: string): Promise<void> {
    return withValidName(newName, 'rename worktree', () =>
      this.withWorktreeLocks(nameProblem(oldName) ? [newName] : [oldName, newName], 'worktree rename', async () => (await import('../worktree/manage.js')).renameWorktree(this, oldName, newName)),
    );
  }

  /** `jvs worktree remove <name> [--force]` (§2.7). */
  async removeWorktree(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (nameProblem(name)) return (await import('../worktree/manage.js')).removeWorktree(this, name, opts); // reports "not found"
    return this.withWorktreeLocks([name], 'worktree remove', async () => (await import('../worktree/manage.js')).removeWorktree(this, name, opts));
  }

  /** `jvs diff` (§2.5); `worktree` is the current one (for `HEAD` and one-argument diffs). */
  async diff(opts: DiffOptions = {}): Promise<DiffResult> {
    return (await import('../inspect/diff.js')).diff(this, opts);
  }

  /** `jvs status` (§2.14). */
  async status(worktree: string): Promise<StatusResult> {
    return (await import('../inspect/status.js')).status(this, worktree);
  }

  /** `jvs ls <ref> [<path>]` (§2.15). */
  async ls(ref: string, path?: string, worktree?: string): Promise<LsEntry[]> {
    return (await import('../inspect/browse.js')).ls(this, ref, path, worktree);
  }

  /** `jvs cat <ref> <path>` (§2.15): the file's bytes as a stream. */
  async cat(ref: string, path: string, worktree?: string): Promise<Readable> {
    return (await import('../inspect/browse.js')).cat(this, ref, path, worktree);
  }

  /** `jvs gc plan` (§2.10, §7): the plan object, written with its extras. */
  async gcPlan(flags: RetentionFlags = {}): Promise<GcPlan> {
    return (await import('../gc/index.js')).gcPlan(this, flags);
  }

  /** `jvs gc run --plan-id ID` (§2.10, §7): two-phase, resumable, under the repository lock. */
  async gcRun(planId: string, opts: GcRunOptions = {}): Promise<GcRunResult> {
    return (await import('../gc/index.js')).gcRun(this, planId, { ...(this.command ? { command: this.command } : {}), ...opts });
  }

  /** `jvs pin add <ref>` (§2.16). */
  async pinAdd(ref: string, opts: PinAddOptions = {}): Promise<Pin> {
    return (await import('../pin/index.js')).pinAdd(this, ref, opts);
  }

  /** `jvs pin list` (§2.16). */
  async pinList(): Promise<Pin[]> {
    return (await import('../pin/index.js')).pinList(this);
  }

  /** `jvs pin remove <ref>` (§2.16). */
  async pinRemove(ref: string): Promise<PinRemoveResult> {
    return (await import('../pin/index.js')).pinRemove(this, ref);
  }

  /** `jvs config show` (§2.11). */
  async configShow(): Promise<ConfigShowResult> {
    return (await import('../config/commands.js')).configShow(this.layout);
  }

  /** `jvs config get <key>` (§2.11). */
  async configGet(key: string): Promise<ConfigGetResult> {
    return (await import('../config/commands.js')).configGet(this.layout, key);
  }

  /** `jvs config set <key> <value>` (§2.11); audited as `config_set`. */
  async configSet(key: string, value: string): Promise<ConfigSetResult> {
    const r = await (await import('../config/commands.js')).configSet(this.layout, key, value);
    await this.audit({ event_type: 'config_set', details: { key: r.key, value: r.value } });
    return r;
  }

  /** `jvs verify <id>` (§2.8): one snapshot, by raw id. */
  async verify(id: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
    return (await import('../integrity/index.js')).verifySnapshot(this, id, opts);
  }

  /** `jvs verify [--all]` (§2.8): every snapshot, plus lineage and the audit chain. */
  async verifyAll(opts: VerifyAllOptions = {}): Promise<VerifyAllReport> {
    return (await import('../integrity/index.js')).verifyAll(this, opts);
  }

  /** `jvs doctor` (§2.9, §8): checks, and the requested repairs under the repository lock. */
  async doctor(opts: DoctorOptions = {}): Promise<DoctorResult> {
    return (await import('../doctor/index.js')).doctor(this, opts);
  }

  /** `jvs info` (§2.2). */
  async info(): Promise<InfoResult> {
    const choice = await selectSnapshotEngine(this.root, this.layout.extTmp, this.layout.payload('main'), this.env);
    for (const w of choice.warnings) this.warn(w);
    return {
      format_version: this.formatVersion,
      repo_id: this.repoId,
      repo_root: this.root,
      snapshot_engine: choice.engine,
      total_snapshots: (await snapshotDirs(this.layout)).length,
      total_worktrees: (await this.worktreeNames()).length,
    };
  }

  /** Ensures `.jvs/ext/` and its VERSION file exist (created on demand, §3.12). */
  async ensureExt(): Promise<void> {
    if (await pathExists(this.layout.extVersion)) return;
    await mkdir(this.layout.ext, { recursive: true });
    await writeFileAtomic(this.layout.extVersion, '1\n', 0o644);
  }
}

/** Validates a name (errors under `context`) before running `fn`. */
async function withValidName<T>(name: string, context: string, fn: () => Promise<T>): Promise<T> {
  try {
    validateName(name);
  } catch (e) {
    throw (e as JvsError).withContext(context);
  }
  return fn();
}
