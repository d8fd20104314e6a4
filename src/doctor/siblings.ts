/**
 * Restore's siblings of a payload (CONTRACT §3.1): `<payload>.restore-tmp-<8 hex>` (our staging
 * directory, and v8.2's) and `<payload>.restore-backup-<8 hex>` (v8.2 only: the old payload,
 * moved aside). They sit next to the payloads: in `<repo>` for `main`, in `<repo>/worktrees`
 * for the others.
 */
import { dirname, join, relative } from 'node:path';

import type { RepoLayout } from '../repo/layout.js';
import { nameProblem } from '../repo/names.js';
import { sortedEntries } from './context.js';

export interface Sibling {
  worktree: string;
  /** Relative to the repository root, e.g. `main.restore-tmp-1a2b3c4d`. */
  name: string;
  path: string;
}

export async function restoreSiblings(layout: RepoLayout, kind: 'tmp' | 'backup'): Promise<Sibling[]> {
  const pattern = new RegExp(`^(.+)\\.restore-${kind}-[0-9a-f]{8}$`);
  const out: Sibling[] = [];
  for (const dir of [layout.root, join(layout.root, 'worktrees')]) {
    for (const entry of await sortedEntries(dir)) {
      const worktree = pattern.exec(entry)?.[1];
      if (worktree === undefined || nameProblem(worktree) !== undefined) continue;
      const path = join(dir, entry);
      // Only a sibling of that worktree's own payload counts (`<repo>/x.restore-tmp-…` is not x's).
      if (dirname(layout.payload(worktree)) !== dir) continue;
      out.push({ worktree, name: relative(layout.root, path), path });
    }
  }
  return out;
}
