/**
 * `jvs restore -i` (CONTRACT §2.6): an exact id is only confirmed; any other ref lists up to
 * ten ranked matches (§5.1), asks for one unless a single match scores ≥ 700, and confirms.
 * Prompts go to stdout; answers come from one stdin reader.
 */
import type { Descriptor } from '../formats/descriptor.js';
import { listSnapshots, tryDescriptor } from '../repo/catalog.js';
import { notFoundBlock, ranked } from '../repo/refs.js';
import type { Repository } from '../repo/repository.js';
import { loadWorktree } from '../snapshot/snapshot.js';
import { formatDate, shortId } from './format.js';
import type { Output } from './output.js';
import { isYes, type LineReader } from './prompt.js';

const MAX_MATCHES = 10;
/** A single match scoring at least this (a tag prefix or better) needs no selection. */
const SURE = 700;

const noteOf = (d: Descriptor): string => d.note || '(no note)';

/** What the ref matched, by the score of the rule that applied (§5.1 "ranked"). */
function matchedBy(score: number): string {
  if (score >= 900 || score === 50) return 'id';
  if (score >= 700) return 'tag';
  return 'note';
}

/**
 * The ref to restore after the user's answers ('HEAD' stays 'HEAD'), or undefined when the
 * user cancelled (any other answer, or end of input).
 */
export async function chooseSnapshot(repo: Repository, worktree: string, ref: string, out: Output, reader: LineReader): Promise<string | undefined> {
  const c = out.color;
  const confirm = async (label: string, d: Descriptor): Promise<boolean> => {
    out.print(`\nRestore to ${label}? (${noteOf(d)}) [y/N]: `);
    return isYes(await reader.next());
  };

  if (ref === 'HEAD') {
    // HEAD is never ranked: confirm the latest snapshot; without one the restore reports it.
    const latest = (await loadWorktree(repo, worktree)).latest_snapshot_id;
    const d = latest ? await tryDescriptor(repo.layout, latest) : undefined;
    if (d === undefined) return ref;
    return (await confirm(d.snapshot_id, d)) ? ref : undefined;
  }

  const exact = await tryDescriptor(repo.layout, ref);
  if (exact !== undefined) return (await confirm(exact.snapshot_id, exact)) ? exact.snapshot_id : undefined;

  const { snapshots } = await listSnapshots(repo.layout);
  const matches = ranked(snapshots, ref, MAX_MATCHES);
  if (matches.length === 0) throw notFoundBlock(ref, snapshots);

  const lines = [c.header('Matching snapshots:'), ''];
  matches.forEach(({ descriptor: d, score }, i) => {
    const prefix = i === 0 ? c.success('> ') : '  ';
    const tags = d.tags?.length ? ` [${d.tags.map(c.tag).join(',')}]` : '';
    lines.push(`${prefix}${i + 1}. ${c.id(shortId(d.snapshot_id))} ${noteOf(d)}${tags}`, `   ${c.dim(formatDate(d.created_at))} by ${matchedBy(score)}`, '');
  });
  out.lines(...lines);

  const sure = matches.filter((m) => m.score >= SURE);
  let chosen: Descriptor;
  if (sure.length === 1) chosen = sure[0]!.descriptor;
  else {
    out.print(`\nSelect snapshot to restore [1-${matches.length}]: `);
    const answer = (await reader.next())?.trim() ?? '';
    const k = /^[0-9]+$/.test(answer) ? Number(answer) : 0;
    const pick = matches[k - 1];
    if (k < 1 || pick === undefined) return undefined;
    chosen = pick.descriptor;
  }
  return (await confirm(shortId(chosen.snapshot_id), chosen)) ? chosen.snapshot_id : undefined;
}
