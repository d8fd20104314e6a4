/** `jvs history [-n N] [-g S] [--tag T] [--all]` (CONTRACT §2.4). */
import { isDetached, readWorktreeConfig, type WorktreeConfig } from '../../formats/worktree-config.js';
import { descriptorObject, type Descriptor } from '../../formats/descriptor.js';
import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';
import { formatDate, shortId } from '../format.js';

export default class HistoryCommand extends JvsCommand {
  limit = flag.int('history', 'limit');
  grep = flag.string('history', 'grep');
  tag = flag.string('history', 'tag');
  all = flag.bool('history', 'all');

  async execute(): Promise<void> {
    const filters = {
      ...(this.limit !== undefined ? { limit: this.limit } : {}),
      ...(this.grep !== undefined ? { grep: this.grep } : {}),
      ...(this.tag !== undefined ? { tag: this.tag } : {}),
    };
    let list: Descriptor[];
    let cfg: WorktreeConfig | undefined;
    if (this.all) {
      // Repo-scoped: markers only when run inside a worktree whose config loads.
      const { repository, worktree } = await Repository.openWithWorktree(undefined, this.repoOptions());
      list = await repository.history({ all: true, ...filters });
      cfg = worktree === undefined ? undefined : await readWorktreeConfig(repository.layout.worktreeConfig(worktree)).catch(() => undefined);
    } else {
      const { repository, worktree } = await Repository.openWorktree(undefined, this.repoOptions());
      list = await repository.history({ worktree, ...filters });
      cfg = await readWorktreeConfig(repository.layout.worktreeConfig(worktree));
      if (!cfg.head_snapshot_id) {
        if (this.out.json) return this.out.printJson([]);
        return this.out.lines('No snapshots yet.');
      }
    }

    if (this.out.json) return this.out.printJson(list.length ? list.map(descriptorObject) : null);
    if (list.length === 0) return this.out.lines('No snapshots found.');
    const c = this.out.color;
    const detached = cfg !== undefined && isDetached(cfg);
    const lines: string[] = [];
    for (const d of list) {
      let line = `${c.id(shortId(d.snapshot_id))}  ${c.dim(formatDate(d.created_at))}  ${d.note ? d.note : c.dim('(no note)')}`;
      if (d.tags?.length) line += `  [${d.tags.map((t) => c.tag(t)).join(',')}]`;
      if (!this.all && d.snapshot_id === cfg?.latest_snapshot_id) line += `  ${c.header('[HEAD]')}`;
      lines.push(line);
      if (cfg?.head_snapshot_id === d.snapshot_id) {
        if (detached) lines.push(c.dim('◄── you are here (detached)'));
        else if (!this.all) lines.push(c.success('◄── you are here (HEAD)'));
      }
    }
    this.out.lines(...lines);
  }
}
