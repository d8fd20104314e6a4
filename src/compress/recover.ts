/**
 * What v8.2's compressed layout lost (CONTRACT §3.9 reading step 3): it stored every file and
 * symlink gzipped with mode 0600, so the mode of each decompressed file, and whether it was a
 * symlink, come from its relatives — the same path with the same content in the nearest
 * snapshots of the lineage whose tree is known (not compressed, or with a manifest of ours),
 * ancestors nearest first, then descendants breadth first. A symlink there whose content, read
 * through it as v8.2 read it, matches is recreated; anything else stays a 0644 file.
 *
 * One more case is told apart the same way: a file that was already named `X.gz` was left as
 * it was by v8.2, and when it is gzip data it would read as `X`. A relative holding the same
 * bytes at `X.gz` shows that it is stored as is.
 */
import { parentOf, type Descriptor } from '../formats/descriptor.js';
import { loadManifest } from '../manifest/store.js';
import { getCore } from '../native/index.js';
import { listSnapshots, tryDescriptor } from '../repo/catalog.js';
import type { RepoLayout } from '../repo/layout.js';
import { key, type LogicalEntry } from './entry.js';
import { resolveLinks, type LinkNode } from './links.js';

/** Relatives consulted at most: a file found in none of them stays a 0644 file. */
const MAX_RELATIVES = 16;

/** A decompressed file awaiting its type and mode. */
export interface Candidate {
  entry: LogicalEntry;
  /** The stored `X.gz` (path relative to the snapshot directory), its size and mode. */
  stored: Buffer;
  storedSize: number;
  storedMode: number;
  /** SHA-256 of the stored bytes, computed only when a relative may hold them. */
  storedHash?: string;
}

interface Node extends LinkNode {
  perm: number;
  size: number;
  /** Files: SHA-256 of the content, when known. */
  hash?: string;
}

/** A relative's tree: paths to entries, and the directory to hash files it does not know. */
interface View {
  dir: string;
  nodes: Map<string, Node>;
}

type Outcome = { as: 'file'; perm: number } | { as: 'symlink'; perm: number; target: Buffer } | { as: 'stored' };

/** Ancestors nearest first, then descendants breadth first (§3.9); cycles end a walk. */
async function* relatives(layout: RepoLayout, d: Descriptor): AsyncGenerator<Descriptor> {
  const seen = new Set([d.snapshot_id]);
  for (let id = parentOf(d); id !== undefined && !seen.has(id); ) {
    seen.add(id);
    const a = await tryDescriptor(layout, id);
    if (!a) break;
    yield a;
    id = parentOf(a);
  }
  const children = new Map<string, Descriptor[]>();
  for (const s of (await listSnapshots(layout)).snapshots) {
    const p = parentOf(s);
    if (p !== undefined) children.set(p, [...(children.get(p) ?? []), s]);
  }
  const queue = [d.snapshot_id];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const c of children.get(id) ?? []) {
      if (seen.has(c.snapshot_id)) continue;
      seen.add(c.snapshot_id);
      yield c;
      queue.push(c.snapshot_id);
    }
  }
}

/** A relative's tree from our manifest of it, else (not compressed) from its directory. */
async function viewOf(layout: RepoLayout, r: Descriptor): Promise<View | undefined> {
  const dir = layout.snapshotDir(r.snapshot_id);
  const manifest = await loadManifest(layout, r.snapshot_id, r.payload_root_hash, 'full');
  if (manifest) {
    const nodes = new Map<string, Node>();
    for (const rec of manifest.records) nodes.set(key(rec.path), { kind: rec.kind, perm: rec.perm, size: rec.size, hash: rec.hash, ...(rec.target ? { target: rec.target } : {}) });
    return { dir, nodes };
  }
  if (r.compression) return undefined;
  try {
    const nodes = new Map<string, Node>();
    for (const e of await getCore().walk(dir)) {
      const kind = e.kind === 'dir' || e.kind === 'file' || e.kind === 'symlink' ? e.kind : 'other';
      nodes.set(key(e.path), { kind, perm: e.mode & 0o777, size: e.size, ...(e.target ? { target: e.target } : {}) });
    }
    return { dir, nodes };
  } catch {
    return undefined; // gone (GC) or unreadable: not a relative to learn from
  }
}

/** Fills in the hashes of files at `paths` that `view` does not know yet. */
async function hashInView(view: View, paths: Buffer[]): Promise<void> {
  const todo = paths.filter((p) => view.nodes.get(key(p))?.hash === undefined);
  const unique = [...new Map(todo.map((p) => [key(p), p])).values()];
  for (const rec of await getCore().hashPaths(view.dir, unique)) {
    const n = view.nodes.get(key(rec.path));
    if (n) n.hash = rec.hash;
  }
}

/** The outcomes `view` proves for the candidates, at most one each. */
async function matchIn(view: View, pending: readonly Candidate[], snapshotDir: string): Promise<Map<Candidate, Outcome>> {
  const tests: { c: Candidate; at: Buffer; raw: boolean; outcome: Outcome }[] = [];
  for (const c of pending) {
    const here = view.nodes.get(key(c.entry.path));
    if (here?.kind === 'file' && here.size === c.entry.size) tests.push({ c, at: c.entry.path, raw: false, outcome: { as: 'file', perm: here.perm } });
    if (here?.kind === 'symlink') {
      const r = await resolveLinks(c.entry.path, (p) => view.nodes.get(key(p)));
      if ('path' in r && r.node.size === c.entry.size) {
        tests.push({ c, at: r.path, raw: false, outcome: { as: 'symlink', perm: here.perm, target: here.target ?? Buffer.alloc(0) } });
      }
    }
    const gz = view.nodes.get(key(c.stored));
    if (gz?.kind === 'file' && gz.size === c.storedSize) tests.push({ c, at: c.stored, raw: true, outcome: { as: 'stored' } });
  }
  if (tests.length === 0) return new Map();
  try {
    await hashInView(view, tests.map((t) => t.at));
  } catch {
    return new Map(); // changed under us (GC, tampering): prove nothing
  }
  const raw = tests.filter((t) => t.raw && t.c.storedHash === undefined).map((t) => t.c);
  const rawRecords = await getCore().hashPaths(snapshotDir, raw.map((c) => c.stored));
  raw.forEach((c, i) => (c.storedHash = rawRecords[i]?.hash));

  const found = new Map<Candidate, Outcome>();
  for (const t of tests) {
    if (found.has(t.c)) continue;
    const want = t.raw ? t.c.storedHash : t.c.entry.hash;
    if (view.nodes.get(key(t.at))?.hash === want) found.set(t.c, t.outcome);
  }
  return found;
}

function apply(c: Candidate, o: Outcome): void {
  const e = c.entry;
  if (o.as === 'file') e.mode = o.perm;
  else if (o.as === 'symlink') {
    e.kind = 'symlink';
    e.mode = o.perm;
    e.target = o.target;
    delete e.stored;
    delete e.gzip;
    delete e.size;
    delete e.hash;
  } else {
    e.path = c.stored;
    e.gzip = false;
    e.mode = c.storedMode;
    e.size = c.storedSize;
    if (c.storedHash !== undefined) e.hash = c.storedHash;
  }
}

/**
 * Gives each candidate (a decompressed file of the v8.2-compressed snapshot `d`, its entry's
 * content hash known, mode 0644) the type and mode its relatives prove; the others keep 0644.
 */
export async function recoverFromRelatives(layout: RepoLayout, d: Descriptor, snapshotDir: string, candidates: readonly Candidate[]): Promise<void> {
  let pending = [...candidates];
  let consulted = 0;
  if (pending.length === 0) return;
  for await (const r of relatives(layout, d)) {
    const view = await viewOf(layout, r);
    if (!view) continue;
    const found = await matchIn(view, pending, snapshotDir);
    for (const [c, o] of found) apply(c, o);
    pending = pending.filter((c) => !found.has(c));
    if (pending.length === 0 || ++consulted === MAX_RELATIVES) return;
  }
}
