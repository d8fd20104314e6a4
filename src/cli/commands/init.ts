/** `jvs init <name>` (CONTRACT §2.1). */
import { join } from 'node:path';

import { Option } from 'clipanion';

import { currentDirectory } from '../../repo/discovery.js';
import { validateName } from '../../repo/names.js';
import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class InitCommand extends JvsCommand {
  dir = Option.String({ name: 'name' });

  async execute(): Promise<void> {
    // A name, not a path: a directory of the CWD. `.` (the CWD itself) is init's one exception.
    if (this.dir !== '.') validateName(this.dir);
    const root = join(currentDirectory(), this.dir);
    const { result } = await Repository.init(root, { onWarning: this.out.warn });
    if (this.out.json) return this.out.printJson(result);
    const c = this.out.color;
    this.out.lines(`Initialized JVS repository in ${c.success(result.repo_root)}`, `  Main worktree: ${c.warning(result.repo_root)}/main`);
  }
}
