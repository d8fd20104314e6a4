/**
 * Deterministic benchmark datasets. Content is the AES-128-CTR keystream of a fixed key with a
 * per-file IV (incompressible, identical on every machine and every run), so results and root
 * hashes are comparable across runs. A dataset is cached under its root and regenerated when its
 * marker file (`<name>.ok.json`, written last) is missing or describes another layout.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { fmtBytes } from './util.js';

export interface DatasetSpec {
  /** Directory name, e.g. `100000x1KiB`. */
  name: string;
  /** Human label for tables, e.g. `100k × 1 KiB`. */
  label: string;
  files: number;
  fileSize: number;
  /** Files are spread evenly over this many subdirectories; 0 = all at the top level. */
  dirs: number;
}

export interface Dataset extends DatasetSpec {
  /** Absolute path of the tree. */
  path: string;
  /** Total content bytes. */
  bytes: number;
  /** Entries the payload root hash counts: files + directories. */
  entries: number;
}

/** Bumped whenever the generated content or layout changes, so stale caches are rebuilt. */
const GENERATOR_VERSION = 1;
const KEY = createHash('sha256').update('jvs-bench dataset key').digest().subarray(0, 16);
const CHUNK = 8 << 20;

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function spec(files: number, fileSize: number, dirs: number): DatasetSpec {
  const count =
    files >= 1_000_000 && files % 1_000_000 === 0 ? `${files / 1_000_000}M` : files >= 10_000 && files % 1000 === 0 ? `${files / 1000}k` : String(files);
  return {
    name: `${files}x${fmtBytes(fileSize)}`,
    label: `${count} × ${fmtBytes(fileSize).replace(/([0-9])([A-Z])/, '$1 $2')}`,
    files,
    fileSize,
    dirs,
  };
}

/** The standard datasets; `scale` < 1 shrinks the file count (or the single file's size). */
export const datasets = {
  /** 1 GiB in 1000 files of 1 MiB, 10 directories. */
  mib1000: (scale = 1): DatasetSpec => spec(Math.max(1, Math.round(1000 * scale)), MiB, scale >= 1 ? 10 : Math.max(1, Math.round(10 * scale))),
  /** 100k files of 1 KiB in 100 directories. */
  kib100k: (scale = 1): DatasetSpec => spec(Math.max(1, Math.round(100_000 * scale)), KiB, Math.max(1, Math.round(100 * scale))),
  /** One file of 2 GiB. */
  big2g: (scale = 1): DatasetSpec => spec(1, Math.max(MiB, Math.round((2 * GiB * scale) / MiB) * MiB), 0),
  /** 10 GiB in 1000 files of 10 MiB, 10 directories (`bench delta`). */
  mib10x1000: (scale = 1): DatasetSpec => spec(Math.max(1, Math.round(1000 * scale)), 10 * MiB, scale >= 1 ? 10 : Math.max(1, Math.round(10 * scale))),
  /** 1M empty files in 1000 directories (`bench delta`: memory at a million entries). */
  empty1m: (scale = 1): DatasetSpec => spec(Math.max(1, Math.round(1_000_000 * scale)), 0, Math.max(1, Math.round(1000 * scale))),
};

function fileIv(name: string, index: number): Buffer {
  return createHash('sha256').update(`${name}/${index}`).digest().subarray(0, 16);
}

/** Path of file `i` inside the dataset. */
export function relPath(s: DatasetSpec, i: number): string {
  const file = `f${String(i).padStart(6, '0')}.bin`;
  if (s.dirs === 0) return file;
  return join(`d${String(i % s.dirs).padStart(4, '0')}`, file);
}

function describe(s: DatasetSpec): string {
  return JSON.stringify({ v: GENERATOR_VERSION, files: s.files, fileSize: s.fileSize, dirs: s.dirs });
}

function complete(s: DatasetSpec, root: string): Dataset {
  return {
    ...s,
    path: join(root, s.name),
    bytes: s.files * s.fileSize,
    entries: s.files + s.dirs,
  };
}

/** Lets the event loop run (signal handlers) during a long generation. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Returns the dataset under `root`, generating it first when it is missing or stale. Yields to
 * the event loop every 64 MiB / 1000 files, so SIGINT is handled while it runs (an interrupted
 * generation leaves no marker and is redone next time).
 */
export async function ensureDataset(s: DatasetSpec, root: string, log: (m: string) => void): Promise<Dataset> {
  const ds = complete(s, root);
  const marker = join(root, `${s.name}.ok.json`);
  if (existsSync(marker) && existsSync(ds.path)) {
    try {
      if (readFileSync(marker, 'utf8') === describe(s)) return ds;
    } catch {
      // unreadable marker: regenerate
    }
  }
  log(`generating dataset ${s.label} (${fmtBytes(ds.bytes)}) in ${ds.path} …`);
  const t0 = Date.now();
  rmSync(marker, { force: true });
  rmSync(ds.path, { recursive: true, force: true });
  mkdirSync(ds.path, { recursive: true });
  for (let d = 0; d < s.dirs; d++) mkdirSync(join(ds.path, `d${String(d).padStart(4, '0')}`));
  const zeros = Buffer.alloc(Math.min(CHUNK, s.fileSize));
  let sinceYield = 0;
  for (let i = 0; i < s.files; i++) {
    if (i % 1000 === 999) await yieldToEventLoop();
    const cipher = createCipheriv('aes-128-ctr', KEY, fileIv(s.name, i));
    const fd = openSync(join(ds.path, relPath(s, i)), 'wx');
    try {
      for (let off = 0; off < s.fileSize; off += zeros.length) {
        const n = Math.min(zeros.length, s.fileSize - off);
        const buf = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
        let done = 0;
        while (done < buf.length) done += writeSync(fd, buf, done);
        sinceYield += n;
        if (sinceYield >= 64 << 20) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    } finally {
      closeSync(fd);
    }
  }
  writeFileSync(marker, describe(s));
  log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return ds;
}
