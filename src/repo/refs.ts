/**
 * Snapshot reference resolution (CONTRACT §5.1): exact ids, unique fuzzy matches on note,
 * tag or id prefix, newest tag, ranked suggestions, and the "not found" block.
 */
import { JvsError } from '../errors.js';
import type { Descriptor } from '../formats/descriptor.js';
import type { RepoLayout } from './layout.js';
import { listSnapshots, tryDescriptor } from './catalog.js';

export function short(id: string): string {
  return id.slice(0, 8);
}

function fuzzyMatches(d: Descriptor, q: string): boolean {
  return (d.note ?? '').startsWith(q) || (d.tags ?? []).some((t) => t.startsWith(q)) || d.snapshot_id.startsWith(q);
}

/** fuzzy-one: the unique match, or E_NOT_FOUND / E_AMBIGUOUS_REF with the contract's text. */
export function fuzzyOne(list: readonly Descriptor[], q: string): Descriptor {
  const hits = list.filter((d) => fuzzyMatches(d, q));
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw new JvsError('E_NOT_FOUND', `no snapshot found matching "${q}"`);
  throw new JvsError('E_AMBIGUOUS_REF', `ambiguous query "${q}" matches multiple snapshots: ${hits.map((d) => d.snapshot_id).join(', ')}`);
}

/** Score of the first rule that applies (§5.1 "ranked"), 0 when none does. */
function score(d: Descriptor, q: string): number {
  const ql = q.toLowerCase();
  const note = (d.note ?? '').toLowerCase();
  const tags = d.tags ?? [];
  if (d.snapshot_id === q) return 1000;
  if (d.snapshot_id.startsWith(q)) return 900;
  if (tags.includes(q)) return 800;
  if (tags.some((t) => t.startsWith(q))) return 700;
  if (q !== '' && note === ql) return 600;
  if (note.startsWith(ql)) return 500;
  if (note.includes(ql)) return 100;
  if (d.snapshot_id.includes(q)) return 50;
  return 0;
}

export interface Ranked {
  descriptor: Descriptor;
  score: number;
}

/** Ranked matches, best first, ties newest first (`list` is newest first); `HEAD` never ranks. */
export function ranked(list: readonly Descriptor[], q: string, limit: number): Ranked[] {
  if (q === 'HEAD') return [];
  return list
    .map((descriptor) => ({ descriptor, score: score(descriptor, q) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}

/** The "snapshot '<ref>' not found" block with up to three suggestions (§5.1). */
export function notFoundBlock(ref: string, list: readonly Descriptor[], code: 'E_NOT_FOUND' | 'E_AMBIGUOUS_REF' = 'E_NOT_FOUND'): JvsError {
  const sugg = ranked(list, ref, 3).map((r) => r.descriptor);
  const label = (d: Descriptor): string => (d.note ? `${short(d.snapshot_id)} (${d.note})` : short(d.snapshot_id));
  let line: string;
  if (sugg.length === 1) line = `  Did you mean: ${label(sugg[0]!)}?`;
  else if (sugg.length > 1) line = `  Did you mean one of: ${sugg.map(label).join(', ')}?`;
  else line = '  Run jvs history to see available snapshots.';
  return new JvsError(code, `snapshot '${ref}' not found`, { shape: 'block', blockLines: [line], hint: line.trim() });
}

/** exact, then fuzzy-one: `worktree create --from`, `fork` with two args, `pin add/remove`. */
export async function resolveExactOrFuzzy(layout: RepoLayout, ref: string): Promise<Descriptor> {
  const exact = await tryDescriptor(layout, ref);
  if (exact) return exact;
  const { snapshots } = await listSnapshots(layout);
  try {
    return fuzzyOne(snapshots, ref);
  } catch (e) {
    throw notFoundBlock(ref, snapshots, e instanceof JvsError && e.code === 'E_AMBIGUOUS_REF' ? 'E_AMBIGUOUS_REF' : 'E_NOT_FOUND');
  }
}

/**
 * The diff/ls/cat resolver: `HEAD` → the given head (E_NOT_IN_WORKTREE / no snapshots when
 * absent); tag-newest; fuzzy-one. Errors are the bare resolver messages (callers add context).
 */
export async function resolveForDiff(layout: RepoLayout, ref: string, head: { inWorktree: boolean; headId?: string }): Promise<Descriptor> {
  const { snapshots } = await listSnapshots(layout);
  if (ref === 'HEAD') {
    if (!head.inWorktree) throw new JvsError('E_NOT_IN_WORKTREE', 'not inside a worktree');
    const d = head.headId ? snapshots.find((s) => s.snapshot_id === head.headId) ?? (await tryDescriptor(layout, head.headId)) : undefined;
    if (!d) throw new JvsError('E_NOT_FOUND', 'no snapshots in current worktree');
    return d;
  }
  const tagged = snapshots.find((d) => (d.tags ?? []).includes(ref));
  if (tagged) return tagged;
  return fuzzyOne(snapshots, ref);
}
