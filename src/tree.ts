/**
 * Tree-level operations of the public API: the payload root hash, cloning, engine probing.
 * Thin on purpose: the work is in the core (src/native/).
 */
import { getCore } from './native/index.js';
import type { CloneOptions, CloneReport, EngineName, HashOptions, HashRecord } from './native/index.js';

export interface PayloadHash {
  /** Lower-case hex payload root hash (CONTRACT §4), equal to what jvs v8.2 computes. */
  hash: string;
  /** Number of entries hashed (`.READY` markers excluded). */
  entries: number;
  /** Bytes of file content hashed. */
  bytes: number;
  /** Per-entry records in line order, when `records: true` was passed. */
  records?: HashRecord[];
}

/** Computes the payload root hash of the directory tree at `dir`. */
export async function payloadRootHash(dir: string, opts: HashOptions = {}): Promise<PayloadHash> {
  const r = await getCore().hashTree(dir, opts);
  const out: PayloadHash = { hash: r.rootHash, entries: r.count, bytes: r.bytes };
  if (r.records) out.records = r.records;
  return out;
}

/**
 * Clones the tree at `src` into `dst`, which must not exist, with the given engine. Per-file
 * fallbacks (e.g. reflink → copy) and split hard links are reported, never silent; on failure
 * nothing is left at `dst`.
 */
export async function cloneTree(src: string, dst: string, opts: CloneOptions): Promise<CloneReport> {
  return getCore().cloneTree(src, dst, opts);
}

/** The engines that work inside `dir`, best first (juicefs, reflink, copy). */
export async function probeEngines(dir: string): Promise<EngineName[]> {
  const probes = await getCore().probe(dir);
  const order: EngineName[] = ['juicefs', 'reflink', 'copy'];
  return order.filter((e) => probes.some((p) => p.engine === e && p.ok));
}
