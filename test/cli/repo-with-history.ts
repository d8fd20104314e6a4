/**
 * Repositories for the CLI tests of restore, worktree, verify and doctor: made by the built CLI
 * (`init`) with snapshots taken through the library, so these tests do not depend on the
 * `snapshot` command.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Repository } from '../../src/index.js';
import { jvs } from './run.js';

export const ID = /^\d{13}-[0-9a-f]{8}$/;

export interface History {
  root: string;
  main: string;
  /** `first note`, tag v1, a.txt = `one`. */
  v1: string;
  /** `second note`, tag v2, a.txt = `two`, b.txt = `bee`; head = latest. */
  v2: string;
}

/** `<dir>/<name>` with two snapshots in main. */
export async function repoWithHistory(dir: string, name = 'repo'): Promise<History> {
  const init = jvs(['init', name], { cwd: dir });
  if (init.status !== 0) throw new Error(init.stderr);
  const root = join(dir, name);
  const main = join(root, 'main');
  const repo = Repository.openAt(root, { env: {} });
  writeFileSync(join(main, 'a.txt'), 'one');
  const v1 = (await repo.snapshot({ worktree: 'main', note: 'first note', tags: ['v1'] })).snapshot_id;
  writeFileSync(join(main, 'a.txt'), 'two');
  writeFileSync(join(main, 'b.txt'), 'bee');
  const v2 = (await repo.snapshot({ worktree: 'main', note: 'second note', tags: ['v2'] })).snapshot_id;
  return { root, main, v1, v2 };
}
