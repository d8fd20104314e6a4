/**
 * The snapshots of a repository as commands see them (CONTRACT §5.1 "list"): every directory
 * in `.jvs/snapshots/` whose descriptor loads, newest `created_at` first (compared at
 * nanosecond precision), ties broken by id descending.
 */
import { readdir } from 'node:fs/promises';

import { parseTimestamp } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import { readDescriptor, type Descriptor } from '../formats/descriptor.js';
import type { RepoLayout } from './layout.js';
import { isSafeComponent } from './names.js';

/** Descriptors read at once: enough to hide file latency, bounded for huge repositories. */
const PARALLEL_READS = 64;

export interface Catalog {
  /** Newest first. */
  snapshots: Descriptor[];
  /** Directories whose descriptor did not load, with the error (gc warns about these). */
  unloadable: { id: string; error: JvsError }[];
}

function createdNs(d: Descriptor): bigint {
  return parseTimestamp(d.created_at)?.ns ?? -(2n ** 63n);
}

export function newestFirst(a: Descriptor, b: Descriptor): number {
  const x = createdNs(a);
  const y = createdNs(b);
  if (x !== y) return x > y ? -1 : 1;
  return a.snapshot_id < b.snapshot_id ? 1 : a.snapshot_id > b.snapshot_id ? -1 : 0;
}

/** Snapshot directory names (not `*.tmp`). */
export async function snapshotDirs(layout: RepoLayout): Promise<string[]> {
  try {
    const entries = await readdir(layout.snapshotsDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.endsWith('.tmp')).map((e) => e.name);
  } catch {
    return [];
  }
}

export async function listSnapshots(layout: RepoLayout): Promise<Catalog> {
  const ids = await snapshotDirs(layout);
  const snapshots: Descriptor[] = [];
  const unloadable: Catalog['unloadable'] = [];
  for (let i = 0; i < ids.length; i += PARALLEL_READS) {
    const batch = ids.slice(i, i + PARALLEL_READS);
    const results = await Promise.allSettled(batch.map((id) => readDescriptor(layout.descriptor(id))));
    results.forEach((r, k) => {
      if (r.status === 'fulfilled') snapshots.push(r.value);
      else unloadable.push({ id: batch[k]!, error: r.reason instanceof JvsError ? r.reason : new JvsError('E_IO', String(r.reason)) });
    });
  }
  snapshots.sort(newestFirst);
  return { snapshots, unloadable };
}

/** The descriptor of `id` when `id` is a safe path component and it loads; else undefined. */
export async function tryDescriptor(layout: RepoLayout, id: string): Promise<Descriptor | undefined> {
  if (!isSafeComponent(id)) return undefined;
  try {
    return await readDescriptor(layout.descriptor(id));
  } catch {
    return undefined;
  }
}
