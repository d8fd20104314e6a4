/**
 * `jvs worktree path [<name>]` (CONTRACT §2.7): repo-scoped with a name, worktree-scoped
 * without. Prints the path also with `--json`.
 */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class WorktreePathCommand extends JvsCommand {
  name = Option.String({ name: 'name', required: false });

  async execute(): Promise<void> {
    if (this.name !== undefined) {
      const repo = await Repository.open(undefined, this.repoOptions());
      return this.out.lines(await repo.worktreePath(this.name));
    }
    const { repository, worktree } = await Repository.openWorktree(undefined, this.repoOptions());
    this.out.lines(await repository.worktreePath(worktree));
  }
}
