/** `jvs diff [<from> [<to>]] [--stat]` (CONTRACT §2.5): repo-scoped; `HEAD` and one argument need a worktree. */
import { Option } from 'clipanion';

import type { DiffChange } from '../../inspect/diff.js';
import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';
import { changeSections, formatDateTime, isZeroTime, shortId, type ChangeLine } from '../format.js';

/** `  ~ <path> (<old> -> <new> bytes)` only when the sizes differ. */
function modifiedLine(c: DiffChange): ChangeLine {
  const [before, after] = [c.old_size ?? 0, c.size ?? 0];
  return before === after ? { path: c.path } : { path: c.path, detail: `(${before} -> ${after} bytes)` };
}

export default class DiffCommand extends JvsCommand {
  from = Option.String({ name: 'from', required: false });
  to = Option.String({ name: 'to', required: false });
  stat = flag.bool('diff', 'stat');

  async execute(): Promise<void> {
    const { repository, worktree } = await Repository.openWithWorktree(undefined, this.repoOptions());
    const r = await repository.diff({
      ...(this.from !== undefined ? { from: this.from } : {}),
      ...(this.to !== undefined ? { to: this.to } : {}),
      ...(worktree !== undefined ? { worktree } : {}),
    });
    if (this.out.json) return this.out.printJson(r);
    if (this.stat) return this.out.lines(`Added: ${r.total_added}, Removed: ${r.total_removed}, Modified: ${r.total_modified}`);
    // The one-argument form compares with the worktree: no `to` snapshot.
    const to = r.to_snapshot_id === '' ? `worktree ${worktree ?? ''}` : shortId(r.to_snapshot_id);
    const lines = [`Diff ${shortId(r.from_snapshot_id)} -> ${to}`];
    if (!isZeroTime(r.from_time)) lines.push(`From: ${formatDateTime(r.from_time)}`);
    lines.push(`To:   ${formatDateTime(r.to_time)}`);
    const path = (c: DiffChange): ChangeLine => ({ path: c.path });
    this.out.lines(...lines, ...changeSections((r.added ?? []).map(path), (r.removed ?? []).map(path), (r.modified ?? []).map(modifiedLine)));
  }
}
