/** `jvs worktree fork [<ref>] [<name>]` (CONTRACT §2.7, §5.4): worktree-scoped. */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class WorktreeForkCommand extends JvsCommand {
  first = Option.String({ name: 'ref', required: false });
  second = Option.String({ name: 'name', required: false });

  async execute(): Promise<void> {
    const { repository, worktree } = await Repository.openWorktree(undefined, this.repoOptions());
    const args = [this.first, this.second].filter((a): a is string => a !== undefined);
    const result = await repository.forkWorktree(worktree, args);
    if (this.out.json) return this.out.printJson(result);
    const c = this.out.color;
    this.out.lines(
      `Created worktree '${c.success(result.name)}' from snapshot ${c.id(result.head_snapshot_id ?? '')}`,
      `Path: ${repository.layout.payload(result.name)}`,
      c.success('Worktree is at HEAD state - you can create snapshots.'),
    );
  }
}
