/** `jvs ls <ref> [<path>]` (CONTRACT §2.15): the entries of a directory of a snapshot. */
import { Option } from 'clipanion';

import type { LsEntry } from '../../inspect/browse.js';
import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';
import { textLine } from '../format.js';
import type { TextLine } from '../output.js';

/** `printf("%-7s %04o %12d  %s", type, perm, size, path)` + `/` or ` -> <target>`. */
function entryLine(e: LsEntry): TextLine {
  const head = `${e.type.padEnd(7)} ${e.mode.toString(8).padStart(4, '0')} ${String(e.size).padStart(12)}  `;
  if (e.type === 'dir') return textLine(head, e.path, '/');
  if (e.type === 'symlink') return textLine(head, e.path, ' -> ', e.target ?? '');
  return textLine(head, e.path);
}

export default class LsCommand extends JvsCommand {
  ref = Option.String({ name: 'ref' });
  dir = Option.String({ name: 'path', required: false });

  async execute(): Promise<void> {
    const { repository, worktree } = await Repository.openWithWorktree(undefined, this.repoOptions());
    const entries = await repository.ls(this.ref, this.dir, worktree);
    if (this.out.json) return this.out.printJson(entries);
    if (entries.length > 0) this.out.lines(...entries.map(entryLine));
  }
}
