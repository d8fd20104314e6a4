/**
 * Where everything lives in a repository (CONTRACT §3.1, §3.12). Paths only: reading and
 * writing each file is the job of the module that owns its format. Ids and names must have
 * been validated (names.ts) before they are joined here.
 */
import { join } from 'node:path';

export class RepoLayout {
  readonly jvs: string;
  constructor(readonly root: string) {
    this.jvs = join(root, '.jvs');
  }

  get formatVersion(): string {
    return join(this.jvs, 'format_version');
  }
  get repoId(): string {
    return join(this.jvs, 'repo_id');
  }
  get configYaml(): string {
    return join(this.jvs, 'config.yaml');
  }
  get worktreesDir(): string {
    return join(this.jvs, 'worktrees');
  }
  worktreeDir(name: string): string {
    return join(this.jvs, 'worktrees', name);
  }
  worktreeConfig(name: string): string {
    return join(this.jvs, 'worktrees', name, 'config.json');
  }
  /** `main` → `<repo>/main`; others → `<repo>/worktrees/<name>` (§1.7). */
  payload(name: string): string {
    return name === 'main' ? join(this.root, 'main') : join(this.root, 'worktrees', name);
  }
  get snapshotsDir(): string {
    return join(this.jvs, 'snapshots');
  }
  snapshotDir(id: string): string {
    return join(this.jvs, 'snapshots', id);
  }
  snapshotTmp(id: string): string {
    return join(this.jvs, 'snapshots', `${id}.tmp`);
  }
  get descriptorsDir(): string {
    return join(this.jvs, 'descriptors');
  }
  descriptor(id: string): string {
    return join(this.jvs, 'descriptors', `${id}.json`);
  }
  get intentsDir(): string {
    return join(this.jvs, 'intents');
  }
  intent(id: string): string {
    return join(this.jvs, 'intents', `${id}.json`);
  }
  get auditLog(): string {
    return join(this.jvs, 'audit', 'audit.jsonl');
  }
  get gcDir(): string {
    return join(this.jvs, 'gc');
  }
  gcPlan(planId: string): string {
    return join(this.jvs, 'gc', `${planId}.json`);
  }
  tombstone(id: string): string {
    return join(this.jvs, 'gc', 'tombstones', `${id}.json`);
  }
  get pinsDir(): string {
    return join(this.jvs, 'pins');
  }
  pin(id: string): string {
    return join(this.jvs, 'pins', `${id}.json`);
  }

  // Our extension area (§3.12): v8.2 never reads it.
  get ext(): string {
    return join(this.jvs, 'ext');
  }
  get extVersion(): string {
    return join(this.ext, 'VERSION');
  }
  get locksDir(): string {
    return join(this.ext, 'locks');
  }
  get repoLock(): string {
    return join(this.ext, 'locks', 'repo.lock');
  }
  worktreeLock(name: string): string {
    return join(this.ext, 'locks', `worktree.${name}.lock`);
  }
  get metaDir(): string {
    return join(this.ext, 'meta');
  }
  meta(id: string): string {
    return join(this.metaDir, `${id}.json`);
  }
  get manifestsDir(): string {
    return join(this.ext, 'manifests');
  }
  get extWorktreesDir(): string {
    return join(this.ext, 'worktrees');
  }
  extWorktreeDir(name: string): string {
    return join(this.extWorktreesDir, name);
  }
  statCache(name: string): string {
    return join(this.ext, 'worktrees', name, 'stat.cache');
  }
  get restoreDir(): string {
    return join(this.ext, 'restore');
  }
  restoreJournal(name: string): string {
    return join(this.restoreDir, `${name}.json`);
  }
  get gcExtDir(): string {
    return join(this.ext, 'gc');
  }
  gcExtras(planId: string): string {
    return join(this.gcExtDir, `${planId}.json`);
  }
  gcRunState(planId: string): string {
    return join(this.gcExtDir, `${planId}.run.json`);
  }
  get gcTrashDir(): string {
    return join(this.gcExtDir, 'trash');
  }
  gcTrash(id: string): string {
    return join(this.gcTrashDir, id);
  }
  get extTmp(): string {
    return join(this.ext, 'tmp');
  }
}
