/**
 * The snapshots of a repository as commands see them (CONTRACT §5.1 "list"): every directory
 * in `.jvs/snapshots/` whose descriptor loads, newest `created_at` first (compared at
 * nanosecond precision), ties broken by id descending.
 */
import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { nowNs, parseTimestamp } from '../encoding/timestamp.js';
import { encodeJson, type JsonValue } from '../encoding/json.js';
import { JvsError } from '../errors.js';
import { writeFileVisible } from '../fs/atomic.js';
import { goPathError } from '../fs/go-errors.js';
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

/** Snapshot directory names (not `*.tmp`). */
export async function snapshotDirs(layout: RepoLayout): Promise<string[]> {
  try {
    const entries = await readdir(layout.snapshotsDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.endsWith('.tmp')).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * One cached descriptor. Descriptors are never rewritten after publication, so an entry whose
 * file still has the same size and mtime is the same descriptor; anything else is re-read.
 */
interface CachedEntry {
  id: string;
  size: number;
  mtime_ns: string;
  created_ns: string;
  descriptor: Descriptor;
}

/**
 * The catalog cache `.jvs/ext/catalog.jsonl` (ours, §3.12: a cache, rebuilt when missing or
 * unreadable): listing 10,000 snapshots otherwise means reading and parsing 10,000 files.
 *
 * Its first line records the mtimes of `.jvs/snapshots/` and `.jvs/descriptors/` and when the
 * cache was written. Publishing, deleting or replacing a snapshot changes those directories, so
 * when both mtimes are unchanged and were already at least SETTLED_NS old when the cache was
 * written (coarse kernel timestamps cannot hide a change made after that), every entry is
 * trusted without touching the descriptor files — git's racily-clean rule. Otherwise each
 * entry is checked against its file's size and mtime. Commands that act on a resolved
 * snapshot re-read its descriptor (freshDescriptor), so the cache never vouches for one.
 */
const SETTLED_NS = 2_000_000_000n;

interface CacheHeader {
  snapshots_mtime_ns: string;
  descriptors_mtime_ns: string;
  written_ns: string;
  /** Directories whose descriptor did not load at the last full check (then never trusted). */
  unloadable: number;
}

function cachePath(layout: RepoLayout): string {
  return join(layout.ext, 'catalog.jsonl');
}

async function readCache(layout: RepoLayout): Promise<{ header?: CacheHeader; entries: Map<string, CachedEntry> }> {
  const entries = new Map<string, CachedEntry>();
  let text: string;
  try {
    text = await readFile(cachePath(layout), 'utf8');
  } catch {
    return { entries };
  }
  const lines = text.split('\n');
  let header: CacheHeader | undefined;
  try {
    const h = JSON.parse(lines[0] ?? '') as Partial<CacheHeader>;
    if (typeof h.snapshots_mtime_ns === 'string' && typeof h.descriptors_mtime_ns === 'string' && typeof h.written_ns === 'string' && typeof h.unloadable === 'number') {
      header = h as CacheHeader;
    }
  } catch {
    // No usable header: the entries are still checked one by one.
  }
  for (const line of lines.slice(1)) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as CachedEntry;
      if (typeof e.id === 'string' && typeof e.descriptor?.snapshot_id === 'string') entries.set(e.id, e);
    } catch {
      // A damaged line costs one re-read of that descriptor.
    }
  }
  return header ? { header, entries } : { entries };
}

function entryLine(e: CachedEntry): string {
  return encodeJson({ id: e.id, size: e.size, mtime_ns: e.mtime_ns, created_ns: e.created_ns, descriptor: e.descriptor as unknown as JsonValue }, { pretty: false });
}

function dirMtimes(layout: RepoLayout): { snapshots: bigint; descriptors: bigint } | undefined {
  try {
    return {
      snapshots: statSync(layout.snapshotsDir, { bigint: true }).mtimeNs,
      descriptors: statSync(layout.descriptorsDir, { bigint: true }).mtimeNs,
    };
  } catch {
    return undefined;
  }
}

function settled(h: CacheHeader, m: { snapshots: bigint; descriptors: bigint }): boolean {
  const written = BigInt(h.written_ns);
  return (
    h.unloadable === 0 &&
    BigInt(h.snapshots_mtime_ns) === m.snapshots &&
    BigInt(h.descriptors_mtime_ns) === m.descriptors &&
    m.snapshots <= written - SETTLED_NS &&
    m.descriptors <= written - SETTLED_NS
  );
}

/** Checks every snapshot directory against the cache, reading only new or changed descriptors. */
async function validate(layout: RepoLayout, cache: Map<string, CachedEntry>): Promise<{ entries: CachedEntry[]; unloadable: Catalog['unloadable'] }> {
  const ids = await snapshotDirs(layout);
  const entries: CachedEntry[] = [];
  const unloadable: Catalog['unloadable'] = [];
  const toRead: { id: string; size: number; mtime_ns: string }[] = [];
  // Synchronous stats: for thousands of small calls far cheaper than promise round trips.
  for (const id of ids) {
    let st;
    try {
      st = statSync(layout.descriptor(id), { bigint: true });
    } catch (e) {
      unloadable.push({ id, error: new JvsError('E_NOT_FOUND', goPathError('open', layout.descriptor(id), e)) });
      continue;
    }
    const size = Number(st.size);
    const mtime_ns = st.mtimeNs.toString();
    const hit = cache.get(id);
    if (hit && hit.size === size && hit.mtime_ns === mtime_ns) entries.push(hit);
    else toRead.push({ id, size, mtime_ns });
  }
  for (let i = 0; i < toRead.length; i += PARALLEL_READS) {
    const batch = toRead.slice(i, i + PARALLEL_READS);
    const results = await Promise.allSettled(batch.map((b) => readDescriptor(layout.descriptor(b.id))));
    results.forEach((r, k) => {
      const b = batch[k]!;
      if (r.status === 'fulfilled') entries.push({ ...b, created_ns: createdNs(r.value).toString(), descriptor: r.value });
      else unloadable.push({ id: b.id, error: r.reason instanceof JvsError ? r.reason : new JvsError('E_IO', String(r.reason)) });
    });
  }
  return { entries, unloadable };
}

export async function listSnapshots(layout: RepoLayout): Promise<Catalog> {
  const before = dirMtimes(layout);
  const cache = await readCache(layout);
  let entries: CachedEntry[];
  let unloadable: Catalog['unloadable'] = [];
  if (before && cache.header && settled(cache.header, before)) {
    entries = [...cache.entries.values()];
  } else {
    const checked = await validate(layout, cache.entries);
    ({ entries, unloadable } = checked);
    // Rewritten whenever the fast path was not taken (entries changed, or the header was not
    // yet settled: rewriting it later is what lets it become trusted), but only when the
    // directories held still while it was built; best effort (a read-only repository still lists).
    const after = dirMtimes(layout);
    if (before && after && after.snapshots === before.snapshots && after.descriptors === before.descriptors) {
      const header: CacheHeader = {
        snapshots_mtime_ns: before.snapshots.toString(),
        descriptors_mtime_ns: before.descriptors.toString(),
        written_ns: nowNs().toString(),
        unloadable: unloadable.length,
      };
      const text = [encodeJson(header as unknown as JsonValue, { pretty: false }), ...entries.map(entryLine)].join('\n') + '\n';
      await writeFileVisible(cachePath(layout), text, 0o644).catch(() => undefined);
    }
  }
  entries.sort((a, b) => {
    const x = BigInt(a.created_ns);
    const y = BigInt(b.created_ns);
    if (x !== y) return x > y ? -1 : 1;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
  return { snapshots: entries.map((e) => e.descriptor), unloadable };
}

/**
 * The descriptor as its file says now: for commands about to act on a snapshot (restore, fork,
 * create --from), so that a checksum check never runs on cached content.
 */
export async function freshDescriptor(layout: RepoLayout, d: Descriptor): Promise<Descriptor> {
  return readDescriptor(layout.descriptor(d.snapshot_id));
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
