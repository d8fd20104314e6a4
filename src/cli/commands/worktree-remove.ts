/**
 * `jvs worktree remove <name> [-f|--force]` (CONTRACT §2.7): repo-scoped; JSON mode prints
 * nothing. The detached refusal's guidance reaches stdout through the error (§1.5).
 */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';

export default class WorktreeRemoveCommand extends JvsCommand {
  name = Option.String({ name: 'name' });
  force = flag.bool('worktree remove', 'force');

  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    await repo.removeWorktree(this.name, { force: this.force });
    if (!this.out.json) this.out.lines(`Removed worktree '${this.name}'`);
  }
}
