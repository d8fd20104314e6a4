/**
 * `jvs worktree create <name> [--from REF]` and `jvs worktree fork [ref] [name]`
 * (CONTRACT §2.7, §5.4): a new worktree, empty or materialized from a snapshot.
 */
import { mkdir, rm } from 'node:fs/promises';

import { nowTimestamp } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import { checksumValid, type Descriptor } from '../formats/descriptor.js';
import { writeWorktreeConfig, type WorktreeConfig } from '../formats/worktree-config.js';
import { freshDescriptor, tryDescriptor } from '../repo/catalog.js';
import { assertInside } from '../repo/contain.js';
import { validateName } from '../repo/names.js';
import { resolveExactOrFuzzy, short } from '../repo/refs.js';
import type { Repository } from '../repo/repository.js';
import type { Degradation } from '../snapshot/create.js';
import { loadWorktree } from '../snapshot/snapshot.js';
import { worktreeExists } from './lookup.js';
import { pathExists } from '../fs/exists.js';
import { materializeSnapshot } from './materialize.js';
import { createSubvolumePayload } from '../fs/subvolume.js';
import { removeTree } from '../gc/remove-tree.js';

/** The `--json` output: the config, plus `degraded` when the engine degraded. */
export type WorktreeResult = WorktreeConfig & { degraded?: Degradation };

function verified(d: Descriptor): Descriptor {
  if (!checksumValid(d)) throw new JvsError('E_DESCRIPTOR_CORRUPT', 'verify snapshot: E_DESCRIPTOR_CORRUPT: checksum mismatch');
  return d;
}

/** Validates the new name and its paths; `context` prefixes the errors (`create worktree`). */
async function prepare(repo: Repository, name: string, context: string): Promise<string> {
  try {
    validateName(name);
  } catch (e) {
    throw (e as JvsError).withContext(context);
  }
  if (await worktreeExists(repo, name)) throw new JvsError('E_EXISTS', `${context}: worktree ${name} already exists`);
  const payload = repo.layout.payload(name);
  try {
    await assertInside(repo.root, payload);
    await assertInside(repo.root, repo.layout.worktreeDir(name));
  } catch (e) {
    throw (e as JvsError).withContext(context);
  }
  return payload;
}

/** Writes the config; on failure removes the config directory (the payload is the caller's). */
async function register(repo: Repository, cfg: WorktreeConfig): Promise<void> {
  const dir = repo.layout.worktreeDir(cfg.name);
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeWorktreeConfig(repo.layout.worktreeConfig(cfg.name), cfg);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Materializes `d` into the new payload and registers it; undoes only what it created. */
async function fromSnapshot(repo: Repository, d: Descriptor, payload: string, cfg: WorktreeConfig, context: string): Promise<WorktreeResult> {
  const created = !(await pathExists(payload));
  try {
    const { degraded } = await materializeSnapshot(repo, d, payload);
    await register(repo, cfg);
    return degraded ? { ...cfg, degraded } : cfg;
  } catch (e) {
    if (created) await removeTree(payload);
    if (e instanceof JvsError) throw e.withContext(context);
    throw new JvsError('E_IO', `${context}: ${(e as Error).message}`, { cause: e });
  }
}

export async function createWorktree(repo: Repository, name: string, opts: { from?: string } = {}): Promise<WorktreeResult> {
  if (opts.from === undefined) {
    const payload = await prepare(repo, name, 'create worktree');
    const subvolume = !(await pathExists(payload)) && (await createSubvolumePayload(payload, repo.note));
    if (!subvolume) await mkdir(payload, { recursive: true, mode: 0o755 });
    const cfg: WorktreeConfig = { name, created_at: nowTimestamp() };
    await register(repo, cfg);
    await repo.audit({ event_type: 'worktree_create', worktree_name: name });
    return cfg;
  }
  const d = verified(await freshDescriptor(repo.layout, await resolveExactOrFuzzy(repo.layout, opts.from)));
  const payload = await prepare(repo, name, 'create worktree');
  const cfg: WorktreeConfig = { name, base_snapshot_id: d.snapshot_id, created_at: nowTimestamp() };
  const result = await fromSnapshot(repo, d, payload, cfg, 'create worktree from snapshot');
  await repo.audit({ event_type: 'worktree_create', snapshot_id: d.snapshot_id, worktree_name: name, details: { base_snapshot_id: d.snapshot_id } });
  return result;
}

/**
 * `fork` from the worktree `current`: with no args the current head under `fork-<SHORT>`; one
 * arg is a ref if it resolves (exact or unique fuzzy), else the new name; two args are both.
 */
export async function forkWorktree(repo: Repository, current: string, args: string[]): Promise<WorktreeResult> {
  const cfg = await loadWorktree(repo, current);
  const head = async (): Promise<Descriptor> => {
    const d = cfg.head_snapshot_id ? await tryDescriptor(repo.layout, cfg.head_snapshot_id) : undefined;
    if (!d) throw new JvsError('E_NOT_FOUND', 'current worktree has no snapshots to fork from');
    return d;
  };
  let d: Descriptor;
  let name: string | undefined;
  if (args.length === 2) {
    d = await resolveExactOrFuzzy(repo.layout, args[0]!);
    name = args[1];
  } else if (args.length === 1) {
    const asRef = await resolveExactOrFuzzy(repo.layout, args[0]!).catch(() => undefined);
    if (asRef) d = asRef;
    else {
      d = await head();
      name = args[0];
    }
  } else {
    d = await head();
  }
  d = verified(await freshDescriptor(repo.layout, d));
  const newName = name ?? `fork-${short(d.snapshot_id)}`;
  try {
    validateName(newName);
  } catch (e) {
    throw (e as JvsError).withContext('fork worktree');
  }
  return repo.withWorktreeLocks([newName], 'worktree fork', () => forkInto(repo, current, d, newName));
}

async function forkInto(repo: Repository, current: string, d: Descriptor, newName: string): Promise<WorktreeResult> {
  const payload = await prepare(repo, newName, 'fork worktree');
  const id = d.snapshot_id;
  const result = await fromSnapshot(
    repo,
    d,
    payload,
    { name: newName, base_snapshot_id: id, head_snapshot_id: id, latest_snapshot_id: id, created_at: nowTimestamp() },
    'fork worktree',
  );
  await repo.audit({ event_type: 'worktree_fork', snapshot_id: id, worktree_name: newName, details: { source_worktree: current } });
  return result;
}
