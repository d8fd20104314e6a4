/**
 * The payload root hash assembled from records (CONTRACT §4 steps 3–6), in TypeScript: the twin
 * of jvs-core's `Record::line` and `assemble`, for the fallback core and for checking manifests.
 */
import { createHash } from 'node:crypto';

import type { HashRecord } from './types.js';

const NEWLINE = Buffer.from('\n');

/** The line `<type>:<path>:<meta>:<hash>` as bytes (the path is never decoded), no newline. */
export function recordLine(r: HashRecord): Buffer {
  const mode = `mode=${r.perm.toString(8).padStart(4, '0')}`;
  const meta = r.kind === 'file' ? `${mode},size=${r.size}` : mode;
  return Buffer.concat([Buffer.from(`${r.kind}:`), r.path, Buffer.from(`:${meta}:${r.hash}`)]);
}

/**
 * The records in line order and the root hash: the bare lines are sorted byte-wise (step 4),
 * then each is hashed followed by a newline (step 5). Sorting lines that already carry their
 * newline would order differently when one line extends another with a byte below `\n`.
 */
export function assembleRecords(records: readonly HashRecord[]): { rootHash: string; ordered: HashRecord[] } {
  const lines = records.map((record) => ({ record, line: recordLine(record) }));
  lines.sort((a, b) => Buffer.compare(a.line, b.line));
  const h = createHash('sha256');
  for (const { line } of lines) h.update(line).update(NEWLINE);
  return { rootHash: h.digest('hex'), ordered: lines.map((l) => l.record) };
}
