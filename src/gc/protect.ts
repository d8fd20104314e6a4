/**
 * What GC must keep whatever the retention policy (CONTRACT §7 plan steps 1, 2, 4, 5): the
 * roots, the active pins, the in-flight ids, and every ancestor of what is protected. `gc plan`
 * adds retention on top; `gc run` recomputes exactly this to see whether its plan still applies.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { parentOf, type Descriptor } from '../formats/descriptor.js';
import { isPinActive, listPins } from '../formats/pin.js';
import { readWorktreeConfig } from '../formats/worktree-config.js';
import { tryDescriptor } from '../repo/catalog.js';
import type { RepoLayout } from '../repo/layout.js';
import { readJournal } from '../restore/journal.js';

export interface Protection {
  /** head and latest of every loadable worktree config. */
  roots: Set<string>;
  /** Snapshots of pins that parse and have not expired. */
  pinned: Set<string>;
  /** Intent ids with their `<id>.tmp`, and the target and safety snapshot of every restore journal. */
  inFlight: Set<string>;
}

/** File names in `dir` ending in `.json`, without the suffix; a missing directory has none. */
async function jsonNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

async function worktreeRoots(layout: RepoLayout): Promise<Set<string>> {
  const roots = new Set<string>();
  let names: string[];
  try {
    names = await readdir(layout.worktreesDir);
  } catch {
    return roots;
  }
  for (const name of names) {
    try {
      const cfg = await readWorktreeConfig(layout.worktreeConfig(name));
      for (const id of [cfg.head_snapshot_id, cfg.latest_snapshot_id]) if (id) roots.add(id);
    } catch {
      // Only loadable configs are roots (§7 step 1).
    }
  }
  return roots;
}

async function activePins(layout: RepoLayout, now: bigint): Promise<Set<string>> {
  const { pins } = await listPins(layout);
  return new Set(pins.filter((p) => isPinActive(p.pin, now)).map((p) => p.pin.snapshot_id));
}

async function inFlightIds(layout: RepoLayout): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const id of await jsonNames(layout.intentsDir)) ids.add(id).add(`${id}.tmp`);
  for (const name of await jsonNames(layout.restoreDir)) {
    const j = await readJournal(join(layout.restoreDir, `${name}.json`));
    if (!j) continue;
    ids.add(j.snapshot_id);
    if (j.safety_snapshot_id) ids.add(j.safety_snapshot_id);
  }
  return ids;
}

/** Roots, active pins and in-flight ids, read in that order. */
export async function baseProtection(layout: RepoLayout, now: bigint): Promise<Protection> {
  return { roots: await worktreeRoots(layout), pinned: await activePins(layout, now), inFlight: await inFlightIds(layout) };
}

/**
 * The ancestors of `seeds` (parent_id chains) that are not seeds themselves (§7 step 5).
 * Descriptors come from `known` when there, else from disk; a chain ends at an id without a
 * loadable descriptor (that id itself is still an ancestor), and at an id seen before, so
 * parent cycles terminate.
 */
export async function ancestorsOf(layout: RepoLayout, seeds: Iterable<string>, known: ReadonlyMap<string, Descriptor> = new Map()): Promise<Set<string>> {
  const seen = new Set(seeds);
  const added = new Set<string>();
  const stack = [...seen];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    const d = known.get(id) ?? (await tryDescriptor(layout, id));
    const parent = d && parentOf(d);
    if (parent === undefined || seen.has(parent)) continue;
    seen.add(parent);
    added.add(parent);
    stack.push(parent);
  }
  return added;
}
