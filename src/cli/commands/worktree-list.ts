/** `jvs worktree list` (CONTRACT §2.7): repo-scoped. */
import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

/** Heads longer than this are cut, followed by `...`. */
const HEAD_WIDTH = 16;

export default class WorktreeListCommand extends JvsCommand {
  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const worktrees = await repo.listWorktrees();
    if (this.out.json) return this.out.printJson(worktrees.length === 0 ? null : worktrees);
    const c = this.out.color;
    const headText = (id: string | undefined): string => {
      if (!id) return c.dim('(none)');
      return id.length > HEAD_WIDTH ? `${c.id(id.slice(0, HEAD_WIDTH))}${c.dim('...')}` : c.id(id);
    };
    this.out.lines(...worktrees.map((w) => `${w.name.padEnd(20)}  ${headText(w.head_snapshot_id)}`));
  }
}
