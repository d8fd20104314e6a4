/** `jvs worktree create <name> [--from REF]` (CONTRACT §2.7): repo-scoped. */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';

export default class WorktreeCreateCommand extends JvsCommand {
  name = Option.String({ name: 'name' });
  from = flag.string('worktree create', 'from');

  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const result = await repo.createWorktree(this.name, this.from === undefined ? {} : { from: this.from });
    if (this.out.json) return this.out.printJson(result);
    const c = this.out.color;
    const payload = repo.layout.payload(this.name);
    if (result.base_snapshot_id === undefined) return this.out.lines(`Created worktree '${c.success(this.name)}' at ${c.dim(payload)}`);
    this.out.lines(`Created worktree '${c.success(this.name)}' from snapshot ${c.id(result.base_snapshot_id)}`, `Path: ${payload}`);
  }
}
