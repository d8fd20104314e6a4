/** `jvs snapshot [note|-] [--tag T]... [--paths P]... [--compress LEVEL] [-F PATH]` (CONTRACT §2.3). */
import { readFile } from 'node:fs/promises';

import { Option } from 'clipanion';

import { parseCompressionLevel } from '../../compress/level.js';
import { JvsError } from '../../errors.js';
import { descriptorObject } from '../../formats/descriptor.js';
import { isDetached } from '../../formats/worktree-config.js';
import { goPathError } from '../../fs/go-errors.js';
import { Repository } from '../../repo/repository.js';
import { detachedError, loadWorktree } from '../../snapshot/snapshot.js';
import { flag, JvsCommand } from '../base.js';

/**
 * A note from standard input: read completely, split into lines (a `\r` before each `\n`
 * dropped, as Go's line scanner does), joined with `\n`, then runs of `\n`, `\r` and space
 * stripped from the end and then from the start (tabs kept).
 */
function noteFromStdin(text: string): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .join('\n')
    .replace(/[\n\r ]+$/, '')
    .replace(/^[\n\r ]+/, '');
}

export default class SnapshotCommand extends JvsCommand {
  noteArg = Option.String({ name: 'note', required: false });
  tags = flag.list('snapshot', 'tag');
  pathsFlag = flag.list('snapshot', 'paths');
  compress = flag.string('snapshot', 'compress');
  file = flag.string('snapshot', 'file');

  async execute(): Promise<void> {
    const { repository: repo, worktree } = await Repository.openWorktree(undefined, this.repoOptions());
    // Steps 1–2 before the note is read (stdin may wait for a terminal); the library checks the
    // detached state again under the worktree lock.
    const cfg = await loadWorktree(repo, worktree);
    if (isDetached(cfg)) throw detachedError(cfg);
    const note = await this.readNote();
    const level = this.compress === undefined ? undefined : parseCompressionLevel(this.compress);

    const progress = this.out.progress();
    let compressed: number | undefined;
    let result;
    try {
      result = await repo.snapshot({
        worktree,
        note,
        tags: this.tags,
        ...(this.pathsFlag.length > 0 ? { paths: this.pathsFlag } : {}),
        ...(level !== undefined ? { compress: level } : {}),
        onCompressed: (files) => (compressed = files),
        onProgress: progress.update,
      });
    } finally {
      progress.done();
    }
    // After the bar is cleared, so the line is not drawn into it.
    if (compressed !== undefined) this.out.stderr(`compressed ${compressed} files\n`);
    // The descriptor in §3.5 order, then `degraded` last when the engine degraded.
    if (this.out.json) return this.out.printJson({ ...descriptorObject(result), degraded: result.degraded });
    const c = this.out.color;
    const id = c.id(result.snapshot_id);
    const lines = [this.pathsFlag.length > 0 ? `Created partial snapshot ${id} (${this.pathsFlag.length} paths)` : `Created snapshot ${id}`];
    if (result.compression) lines.push(`  (compressed: gzip level ${result.compression.level})`);
    if (result.tags?.length) lines.push(`  Tags: ${result.tags.map((t) => c.tag(t)).join(', ')}`);
    this.out.lines(...lines);
  }

  /** The note (§2.3): `-` → stdin; else `-F` (raw, untrimmed); else the argument; else empty. */
  private async readNote(): Promise<string> {
    if (this.noteArg === '-') {
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of this.context.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
        return noteFromStdin(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        throw new JvsError('E_IO', `read stdin: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }
    if (this.file !== undefined) {
      try {
        return await readFile(this.file, 'utf8');
      } catch (e) {
        const op = (e as { syscall?: string }).syscall === 'read' ? 'read' : 'open';
        throw new JvsError('E_IO', `read note file: ${goPathError(op, this.file, e)}`, { cause: e });
      }
    }
    return this.noteArg ?? '';
  }
}
