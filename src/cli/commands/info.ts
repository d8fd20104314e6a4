/** `jvs info` (CONTRACT §2.2): repo-scoped. */
import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class InfoCommand extends JvsCommand {
  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const info = await repo.info();
    if (this.out.json) return this.out.printJson(info);
    this.out.lines(
      `Repository: ${info.repo_root}`,
      `  Repo ID: ${info.repo_id}`,
      `  Format version: ${info.format_version}`,
      `  Snapshot engine: ${info.snapshot_engine}`,
      `  Worktrees: ${info.total_worktrees}`,
      `  Snapshots: ${info.total_snapshots}`,
    );
  }
}
