/** `jvs worktree rename <old> <new>` (CONTRACT §2.7): repo-scoped; JSON mode prints nothing. */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class WorktreeRenameCommand extends JvsCommand {
  oldName = Option.String({ name: 'old' });
  newName = Option.String({ name: 'new' });

  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    await repo.renameWorktree(this.oldName, this.newName);
    if (!this.out.json) this.out.lines(`Renamed worktree '${this.oldName}' to '${this.newName}'`);
  }
}
