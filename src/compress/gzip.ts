/**
 * Streaming gzip and gunzip of single files (Node's zlib): memory stays bounded whatever the
 * file size. Paths are Buffers so names that are not UTF-8 survive.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { pipeline as pipe, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * Writes gzip(src) to `dst`, created exclusively with mode 0600 (EEXIST when it exists). Node's
 * gzip header carries no name and a zero time, so equal content compresses to equal bytes.
 */
export async function gzipFile(src: Buffer, dst: Buffer, level: number): Promise<void> {
  await pipeline(createReadStream(src), createGzip({ level }), createWriteStream(dst, { flags: 'wx', mode: 0o600 }));
}

/** Writes gunzip(src) to `dst`, created exclusively with mode 0600. */
export async function gunzipFile(src: Buffer, dst: Buffer | string): Promise<void> {
  await pipeline(createReadStream(src), createGunzip(), createWriteStream(dst, { flags: 'wx', mode: 0o600 }));
}

/** The decompressed bytes of `src` as a stream; read and zlib errors both surface on it. */
export function gunzipStream(src: Buffer): Readable {
  const out = createGunzip();
  pipe(createReadStream(src), out, () => undefined);
  return out;
}

/** Whether an error is zlib's verdict on the data (not gzip, truncated), not an I/O failure. */
function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * SHA-256 and size of the decompressed content of `src`; undefined when `src` does not gunzip
 * (§3.9: such a file is taken as stored). I/O errors are thrown.
 */
export async function gunzipDigest(src: Buffer): Promise<{ hash: string; size: number } | undefined> {
  const h = createHash('sha256');
  let size = 0;
  try {
    await pipeline(createReadStream(src), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
      for await (const c of chunks) {
        h.update(c);
        size += c.length;
      }
    });
  } catch (e) {
    if (isDataError(e)) return undefined;
    throw e;
  }
  return { hash: h.digest('hex'), size };
}

/**
 * Sets a file's mtime (and atime) from nanoseconds, truncated to the microsecond as the core's
 * fallback does (the native core has no call that sets times alone): Node passes seconds as a
 * double and libuv keeps whole microseconds, so we aim at the middle of the microsecond. Node
 * takes negative numbers as "now": times before 1970 go through a Date (milliseconds).
 */
export async function setMtime(path: Buffer | string, mtimeNs: bigint): Promise<void> {
  const us = mtimeNs / 1000n;
  const t = mtimeNs < 0n ? new Date(Number(mtimeNs / 1_000_000n)) : Number(us / 1_000_000n) + (Number(us % 1_000_000n) + 0.5) / 1e6;
  await utimes(path, t, t);
}
