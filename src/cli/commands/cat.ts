/** `jvs cat <ref> <path>` (CONTRACT §2.15): a file's bytes, unchanged (`--json` changes nothing on success). */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class CatCommand extends JvsCommand {
  ref = Option.String({ name: 'ref' });
  file = Option.String({ name: 'path' });

  async execute(): Promise<void> {
    const { repository, worktree } = await Repository.openWithWorktree(undefined, this.repoOptions());
    await this.out.pipe(await repository.cat(this.ref, this.file, worktree));
  }
}
