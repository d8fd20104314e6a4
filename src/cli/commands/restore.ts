/** `jvs restore <ref>|HEAD [-i] [--discard] [-- <path>...]` (CONTRACT §2.6): worktree-scoped. */
import { Option } from 'clipanion';

import { JvsError } from '../../errors.js';
import { Repository } from '../../repo/repository.js';
import type { RestoreResult } from '../../restore/restore.js';
import { flag, JvsCommand } from '../base.js';
import { LineReader } from '../prompt.js';
import { chooseSnapshot } from '../restore-interactive.js';

export default class RestoreCommand extends JvsCommand {
  ref = Option.String({ name: 'ref' });
  rest = Option.Rest({ name: 'path' });
  interactive = flag.bool('restore', 'interactive');
  discard = flag.bool('restore', 'discard');

  async execute(): Promise<number | void> {
    // Paths come only after a `--` that follows the ref.
    const dashed = this.context.invocation.dashAt >= 0;
    if (dashed && this.rest.length === 0) throw new JvsError('E_USAGE', 'restore: no paths given after --');
    const paths = dashed ? this.rest : undefined;
    const { repository, worktree } = await Repository.openWorktree(undefined, this.repoOptions());

    let ref: string | undefined = this.ref;
    if (this.interactive && !this.out.json) {
      const reader = new LineReader(this.context.stdin);
      try {
        ref = await chooseSnapshot(repository, worktree, this.ref, this.out, reader);
      } finally {
        reader.close();
      }
      if (ref === undefined) return this.out.lines('Restore cancelled.');
    }

    const progress = this.out.progress();
    let decompressed: number | undefined;
    let result: RestoreResult;
    try {
      result = await repository.restore({
        worktree,
        ref,
        ...(paths ? { paths } : {}),
        ...(this.discard ? { discard: true } : {}),
        onDecompressed: (files: number) => (decompressed = files),
        onProgress: progress.update,
      });
    } finally {
      progress.done();
    }
    // After the bar is cleared, so the line is not drawn into it.
    if (decompressed !== undefined) this.out.stderr(`decompressed ${decompressed} files\n`);
    // The library returns the map of §2.6 with its keys already in byte order.
    if (this.out.json) return this.out.printJson(result);
    this.out.lines(...this.text(result, ref === 'HEAD'));
  }

  private text(r: RestoreResult, head: boolean): string[] {
    const c = this.out.color;
    const saved = r.safety_snapshot_id === undefined ? [] : [`Saved unsnapshotted changes as snapshot ${r.safety_snapshot_id}`];
    if (r.paths !== undefined) return [...saved, ...saved.map(() => ''), `Restored ${r.paths.length} paths from snapshot ${c.id(r.snapshot_id)}`];
    if (head) return [...saved, `Restored to latest snapshot ${r.snapshot_id}`, 'Worktree is now at HEAD state.'];
    const state = r.detached
      ? [c.warning('Worktree is now in DETACHED state.'), c.dim('To continue working from here: jvs worktree fork <name>'), c.dim('To return to latest: jvs restore HEAD')]
      : [c.success('Worktree is now at HEAD state.')];
    return [...saved, '', `Restored to snapshot ${c.id(r.snapshot_id)}`, ...state];
  }
}
