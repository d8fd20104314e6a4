/**
 * `jvs pin add|list|remove` (CONTRACT §2.16, D15): pins keep snapshots from GC (§7 step 2).
 * Refs resolve as for `worktree create --from` (exact, then fuzzy-one). Adding and removing wait
 * until no `gc run` or repair holds the repository lock (§5.6); listing takes no lock.
 */
import { JvsError } from '../errors.js';
import { addPin, listPins, removePin, type Pin, type PinFile } from '../formats/pin.js';
import { waitNoRepoLock, type LockOptions } from '../locks/index.js';
import { resolveExactOrFuzzy } from '../repo/refs.js';
import type { Repository } from '../repo/repository.js';

export interface PinAddOptions {
  reason?: string;
  /** `--expires`: nanoseconds from now; none = the pin never expires. */
  expires?: bigint;
  lock?: LockOptions;
}

/** The `pin remove --json` object. */
export interface PinRemoveResult {
  snapshot_id: string;
  removed: number;
}

/** A file-system failure under the command's context (`pin add: <err>`) [E_IO]. */
function ioError(context: string, e: unknown): JvsError {
  if (e instanceof JvsError) return e.withContext(context);
  return new JvsError('E_IO', `${context}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Pins the snapshot `ref` resolves to, replacing its existing pin; audit `pin_add`. */
export async function pinAdd(repo: Repository, ref: string, opts: PinAddOptions = {}): Promise<Pin> {
  await waitNoRepoLock(repo.layout, opts.lock);
  const { snapshot_id: id } = await resolveExactOrFuzzy(repo.layout, ref);
  let pin: Pin;
  try {
    pin = await addPin(repo.layout, id, { ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.expires !== undefined ? { expiresIn: opts.expires } : {}) });
  } catch (e) {
    throw ioError('pin add', e);
  }
  await repo.audit({
    event_type: 'pin_add',
    snapshot_id: id,
    details: { ...(pin.reason ? { reason: pin.reason } : {}), ...(pin.expires_at ? { expires_at: pin.expires_at } : {}) },
  });
  return pin;
}

/** Every valid pin, by snapshot id then pinned_at; invalid files are warnings (`skipping invalid pin <file>: <err>`). */
export async function pinList(repo: Repository): Promise<Pin[]> {
  const { pins, invalid } = await listPins(repo.layout);
  for (const bad of invalid) repo.warn(`skipping invalid pin ${bad.file}: ${bad.error}`);
  return pins.map((p) => p.pin);
}

/**
 * The snapshot id a ref that no longer resolves stands for: a pinned id equal to it, else the
 * one pinned id starting with it (several → E_AMBIGUOUS_REF, as fuzzy-one would say).
 */
function pinnedIdFor(pins: readonly PinFile[], ref: string): string | undefined {
  const ids = [...new Set(pins.map((p) => p.pin.snapshot_id))];
  if (ids.includes(ref)) return ref;
  const hits = ids.filter((id) => id.startsWith(ref));
  if (hits.length > 1) throw new JvsError('E_AMBIGUOUS_REF', `ambiguous query "${ref}" matches multiple snapshots: ${hits.join(', ')}`);
  return hits[0];
}

/** Deletes every pin of the snapshot `ref` stands for; audit `pin_remove`. */
export async function pinRemove(repo: Repository, ref: string, opts: { lock?: LockOptions } = {}): Promise<PinRemoveResult> {
  await waitNoRepoLock(repo.layout, opts.lock);
  const { pins } = await listPins(repo.layout);
  let id: string | undefined;
  try {
    id = (await resolveExactOrFuzzy(repo.layout, ref)).snapshot_id;
  } catch (e) {
    // A pin that expired may outlive its snapshot (GC deleted it); it must still be removable.
    if (!(e instanceof JvsError && e.code === 'E_NOT_FOUND')) throw e;
    id = pinnedIdFor(pins, ref);
  }
  const mine = pins.filter((p) => p.pin.snapshot_id === id);
  if (id === undefined || mine.length === 0) throw new JvsError('E_NOT_FOUND', `pin remove: no pin for snapshot ${ref}`);
  try {
    for (const p of mine) await removePin(repo.layout, p.file);
  } catch (e) {
    throw ioError('pin remove', e);
  }
  await repo.audit({ event_type: 'pin_remove', snapshot_id: id, details: { removed: mine.length } });
  return { snapshot_id: id, removed: mine.length };
}
