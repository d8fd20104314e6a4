/** `jvs status` (CONTRACT §2.14): the current worktree against its head snapshot. */
import type { StatusChange } from '../../inspect/status.js';
import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';
import { changeSections, type ChangeLine } from '../format.js';

const sized = (c: StatusChange): ChangeLine => ({
  path: c.path,
  detail: c.old_size === undefined ? `(${c.size} bytes)` : `(${c.old_size} -> ${c.size} bytes)`,
});

export default class StatusCommand extends JvsCommand {
  async execute(): Promise<void> {
    const { repository, worktree } = await Repository.openWorktree(undefined, this.repoOptions());
    const s = await repository.status(worktree);
    if (this.out.json) return this.out.printJson(s);
    const head = s.head_snapshot_id === null ? 'no snapshots yet' : `head ${s.head_snapshot_id}${s.detached ? ' (detached)' : ''}`;
    this.out.lines(`On worktree '${s.worktree}', ${head}`, ...changeSections(s.added.map(sized), s.removed.map(sized), s.modified.map(sized)));
  }
}
