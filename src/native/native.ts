/**
 * Adapter from the Rust binding (crates/jvs-napi) to the NativeCore interface: wires
 * AbortSignal and progress, decodes packed results, and turns failure records into Errors
 * (created here, on the JS thread, so their stacks show the caller).
 */
import { JvsCoreError } from './errors.js';
import { decodeDifferences, decodeEntries, decodeRecords, encodeKnown } from './codec.js';
import type {
  CloneOptions,
  CloneReport,
  CommonOptions,
  DegradeReason,
  EngineName,
  EngineProbe,
  HashOptions,
  HashResult,
  IndexSummary,
  IndexedTree,
  Vouched,
  NativeCore,
  Progress,
} from './types.js';

/** The binding's exports, as crates/jvs-napi/src/lib.rs declares them. */
export interface Binding {
  coreVersion(): string;
  CancelToken: new () => CancelToken;
  walk(root: string, token: CancelToken, onProgress?: ProgressFn | null): Promise<Buffer | Failure>;
  hashTree(root: string, wantRecords: boolean, known: Buffer | null, token: CancelToken, onProgress?: ProgressFn | null): Promise<RawHash | Failure>;
  hashPaths(root: string, paths: Buffer[], token: CancelToken, onProgress?: ProgressFn | null): Promise<Buffer | Failure>;
  scanWorktree(root: string, index: Buffer, trustBefore: bigint, ignoreDev: boolean, read: boolean, token: CancelToken, onProgress?: ProgressFn | null): Promise<Buffer | Failure>;
  scanSnapshotSince(snap: string, parent: string, index: Buffer, trustBefore: bigint, token: CancelToken): Promise<Buffer | null | Failure>;
  summarizeIndex(pieces: readonly Buffer[], token: CancelToken): Promise<IndexSummary | Failure>;
  crc32(pieces: readonly Buffer[]): number;
  hashTreeIndex(root: string, token: CancelToken, onProgress?: ProgressFn | null): Promise<IndexedTree | Failure>;
  vouchIndex(root: string, index: Buffer, before: bigint, token: CancelToken): Promise<Vouched | Failure>;
  cloneTree(
    src: string,
    dst: string,
    engine: string,
    exclude: Buffer[],
    linkRoot: string | null,
    linkPaths: Buffer[] | null,
    token: CancelToken,
    onProgress?: ProgressFn | null,
  ): Promise<RawClone | Failure>;
  materializeEntries(
    srcRoot: string,
    paths: Buffer[],
    dstDir: string,
    engine: string,
    token: CancelToken,
    onProgress?: ProgressFn | null,
  ): Promise<RawClone | Failure>;
  probe(dir: string, token: CancelToken): Promise<RawProbe[] | Failure>;
  lockExclusive(path: string, token: CancelToken): Promise<{ unlock(): void } | Failure>;
  syncTree(root: string, token: CancelToken): Promise<number | Failure>;
  isSubvolume(path: string, token: CancelToken): Promise<boolean | Failure>;
  createSubvolume(path: string, token: CancelToken): Promise<undefined | Failure>;
  snapshotSubvolume(src: string, dst: string, readonly: boolean, token: CancelToken): Promise<undefined | Failure>;
  setSubvolumeReadonly(path: string, readonly: boolean, token: CancelToken): Promise<undefined | Failure>;
  deleteSubvolume(path: string, token: CancelToken): Promise<undefined | Failure>;
}

interface CancelToken {
  cancel(): void;
}
type ProgressFn = (p: Progress) => void;
interface Failure {
  failed: true;
  code: string;
  errno?: string;
  path?: Buffer;
  message: string;
}
interface RawHash {
  rootHash: string;
  count: number;
  bytes: number;
  records?: Buffer;
}
interface RawClone {
  requested: string;
  engine: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  linked: number;
  fallbacks: { path: Buffer; from: string; to: string; reason: string }[];
  hardlinksSplit: Buffer[];
  xattrsSkipped: Buffer[];
  degraded: string[];
}
interface RawProbe {
  engine: string;
  ok: boolean;
  reason?: string;
}

function isFailure(v: unknown): v is Failure {
  return typeof v === 'object' && v !== null && (v as Partial<Failure>).failed === true;
}

/** Runs one binding call with cancellation wired, and throws its failure as an Error. */
async function call<T>(binding: Binding, opts: CommonOptions | undefined, run: (token: CancelToken) => Promise<T | Failure>): Promise<T> {
  const token = new binding.CancelToken();
  const signal = opts?.signal;
  if (signal?.aborted) token.cancel();
  const onAbort = (): void => token.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const out = await run(token);
    if (isFailure(out)) {
      const extra: { errno?: string; path?: string } = {};
      if (out.errno !== undefined) extra.errno = out.errno;
      if (out.path !== undefined) extra.path = out.path.toString();
      throw new JvsCoreError(out.code, out.message, extra);
    }
    return out;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function cloneReport(raw: RawClone): CloneReport {
  return {
    requested: raw.requested as EngineName,
    engine: raw.engine as EngineName,
    files: raw.files,
    dirs: raw.dirs,
    symlinks: raw.symlinks,
    bytes: raw.bytes,
    linked: raw.linked,
    fallbacks: raw.fallbacks.map((f) => ({ path: f.path, from: f.from as EngineName, to: f.to as EngineName, reason: f.reason })),
    hardlinksSplit: raw.hardlinksSplit,
    xattrsSkipped: raw.xattrsSkipped,
    degraded: raw.degraded as DegradeReason[],
  };
}

export function createNativeCore(binding: Binding): NativeCore {
  return {
    kind: 'native',
    version: binding.coreVersion(),

    async walk(root, opts) {
      return decodeEntries(await call(binding, opts, (t) => binding.walk(root, t, opts?.onProgress ?? null)));
    },

    async hashTree(root, opts?: HashOptions): Promise<HashResult> {
      const known = opts?.known && opts.known.length > 0 ? encodeKnown(opts.known) : null;
      const raw = await call(binding, opts, (t) => binding.hashTree(root, opts?.records === true, known, t, opts?.onProgress ?? null));
      const result: HashResult = { rootHash: raw.rootHash, count: raw.count, bytes: raw.bytes };
      if (raw.records) result.records = decodeRecords(raw.records);
      return result;
    },

    async hashPaths(root, paths, opts) {
      return decodeRecords(await call(binding, opts, (t) => binding.hashPaths(root, [...paths], t, opts?.onProgress ?? null)));
    },

    async scanWorktree(root, index, trustBeforeNs, opts) {
      return decodeDifferences(await call(binding, opts, (t) => binding.scanWorktree(root, index, trustBeforeNs, opts?.ignoreDev === true, opts?.read !== false, t, opts?.onProgress ?? null)));
    },

    async scanSnapshotSince(snap, parent, index, trustBeforeNs, opts) {
      const out = await call(binding, opts, (t) => binding.scanSnapshotSince(snap, parent, index, trustBeforeNs, t));
      return out === null ? null : decodeDifferences(out);
    },

    async summarizeIndex(index, opts) {
      return call(binding, opts, (t) => binding.summarizeIndex(Buffer.isBuffer(index) ? [index] : index, t));
    },

    crc32: (pieces) => binding.crc32(pieces),

    async hashTreeIndex(root, opts) {
      return call(binding, opts, (t) => binding.hashTreeIndex(root, t, opts?.onProgress ?? null));
    },

    async vouchIndex(root, index, beforeNs, opts) {
      return call(binding, opts, (t) => binding.vouchIndex(root, index, beforeNs, t));
    },

    async cloneTree(src, dst, opts: CloneOptions): Promise<CloneReport> {
      const exclude = (opts.exclude ?? []).map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
      const link = opts.linkFrom;
      return cloneReport(
        await call(binding, opts, (t) =>
          binding.cloneTree(src, dst, opts.engine, exclude, link?.root ?? null, link?.paths ? [...link.paths] : null, t, opts.onProgress ?? null),
        ),
      );
    },

    async materializeEntries(srcRoot, paths, dstDir, opts: CloneOptions): Promise<CloneReport> {
      return cloneReport(
        await call(binding, opts, (t) => binding.materializeEntries(srcRoot, [...paths], dstDir, opts.engine, t, opts.onProgress ?? null)),
      );
    },

    async probe(dir): Promise<EngineProbe[]> {
      const raw = await call(binding, undefined, (t) => binding.probe(dir, t));
      return raw.map((p) => {
        const probe: EngineProbe = { engine: p.engine as EngineName, ok: p.ok };
        if (p.reason !== undefined) probe.reason = p.reason;
        return probe;
      });
    },

    async lockExclusive(path) {
      const handle = await call(binding, undefined, (t) => binding.lockExclusive(path, t));
      return { unlock: () => handle.unlock(), enforced: true };
    },

    syncTree(root) {
      return call(binding, undefined, (t) => binding.syncTree(root, t));
    },

    isSubvolume(path) {
      return call(binding, undefined, (t) => binding.isSubvolume(path, t));
    },

    async createSubvolume(path) {
      await call(binding, undefined, (t) => binding.createSubvolume(path, t));
    },

    async snapshotSubvolume(src, dst, readonly) {
      await call(binding, undefined, (t) => binding.snapshotSubvolume(src, dst, readonly, t));
    },

    async setSubvolumeReadonly(path, readonly) {
      await call(binding, undefined, (t) => binding.setSubvolumeReadonly(path, readonly, t));
    },

    async deleteSubvolume(path) {
      await call(binding, undefined, (t) => binding.deleteSubvolume(path, t));
    },
  };
}
