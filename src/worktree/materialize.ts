/**
 * Materializing a snapshot as a new worktree's payload (CONTRACT §5.4): with the selected
 * engine, the root `.READY` never copied. The destination is created with `mkdir -p`; content
 * of a pre-existing unregistered directory is kept, so the snapshot is cloned into a sibling
 * and its top-level entries moved in — refusing (before moving anything) a name that is
 * already there. On failure only what was created is removed.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, rmdir } from 'node:fs/promises';

import { selectEngine, STORED_TO_CORE } from '../engine/select.js';
import { JvsError } from '../errors.js';
import { fsyncDir } from '../fs/atomic.js';
import type { Descriptor } from '../formats/descriptor.js';
import { READY } from '../formats/markers.js';
import { getCore } from '../native/index.js';
import { openCompressed } from '../compress/index.js';
import type { Repository } from '../repo/repository.js';
import { degradationOf, degradationWarning, type Degradation } from '../engine/degradation.js';
import { pathExists } from '../fs/exists.js';


export async function materializeSnapshot(repo: Repository, d: Descriptor, dest: string): Promise<{ degraded?: Degradation }> {
  const choice = await selectEngine(repo.root, repo.layout.extTmp, repo.env);
  for (const w of choice.warnings) repo.warn(w);
  const engine = STORED_TO_CORE[choice.engine === 'btrfs-snapshot' ? 'reflink-copy' : choice.engine];
  const src = repo.layout.snapshotDir(d.snapshot_id);
  const preexisting = await pathExists(dest);
  const target = preexisting ? `${dest}.jvs-fork-${randomBytes(4).toString('hex')}` : dest;
  // [compress hook] A compressed snapshot is written from its logical tree, not cloned (§5.4, §3.9).
  const logical = d.compression ? await openCompressed(repo.layout, d) : undefined;
  if (logical) await logical.materializeTree(target);
  const report = logical ? undefined : await getCore().cloneTree(src, target, { engine, exclude: [READY] });
  if (preexisting) {
    try {
      const names = await readdir(target);
      for (const n of names) {
        if (await pathExists(`${dest}/${n}`)) throw new JvsError('E_EXISTS', `${dest}/${n} already exists`);
      }
      for (const n of names) await rename(`${target}/${n}`, `${dest}/${n}`);
      await rmdir(target);
    } catch (e) {
      await rm(target, { recursive: true, force: true });
      throw e;
    }
  }
  await getCore().syncTree(dest);
  await fsyncDir(`${dest}/..`);
  const degraded = degradationOf(choice.engine, report);
  if (!degraded) return {};
  repo.warn(degradationWarning(degraded));
  return { degraded };
}
