/**
 * Check 10 (`--strict`) and `audit_repair` (CONTRACT §8, §3.11).
 *
 * The repair re-chains the log: every line that parses gets `prev_hash` = the previous parsed
 * record's `record_hash` and a recomputed `record_hash`; lines that do not parse stay byte for
 * byte. It works in place under the log's flock — the lock v8.2 and our appenders take on the
 * file itself, so replacing the file by a new one would let a waiting appender write into the
 * old, unlinked one — and rewrites only from the first line that changes. A copy of the whole
 * log is kept first in `.jvs/ext/audit-<timestamp>.jsonl.bak`.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { encodeJson, type JsonValue } from '../encoding/json.js';
import { nowTimestamp } from '../encoding/timestamp.js';
import { computeRecordHash } from '../formats/audit.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { auditChainStatus } from '../integrity/audit-chain.js';
import { getCore } from '../native/index.js';
import type { DoctorContext } from './context.js';
import { finding, type Finding, type RepairOutcome } from './types.js';

export async function checkAudit(ctx: DoctorContext): Promise<Finding[]> {
  const path = ctx.layout.auditLog;
  const status = await auditChainStatus(path);
  if (status.ioError?.op === 'open') return [finding('audit', 'warning', `cannot open audit log: ${status.ioError.message}`, { path })];
  const byLine: { line: number; f: Finding }[] = status.malformed.map((line) => ({
    line,
    f: finding('audit', 'warning', `malformed record at line ${line}`, { path }),
  }));
  const b = status.break;
  if (b) byLine.push({ line: b.line, f: finding('audit', 'critical', b.message, { error_code: 'E_AUDIT_CHAIN_BROKEN', path, repair: 'audit_repair' }) });
  const out = byLine.sort((x, y) => x.line - y.line).map((x) => x.f);
  if (status.ioError) out.push(finding('audit', 'warning', `error reading audit log: ${status.ioError.message}`, { path }));
  return out;
}

function parseRecord(line: Buffer): Record<string, JsonValue> | undefined {
  try {
    const v: unknown = JSON.parse(line.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, JsonValue>) : undefined;
  } catch {
    return undefined;
  }
}

/** The re-chained log, where it first differs from `data` (-1: nowhere), and how many records changed. */
function rechain(data: Buffer): { content: Buffer; firstChange: number; rewritten: number } {
  const out: Buffer[] = [];
  let prev = '';
  let offset = 0;
  let firstChange = -1;
  let rewritten = 0;
  for (let start = 0; start <= data.length; ) {
    const nl = data.indexOf(0x0a, start);
    const end = nl < 0 ? data.length : nl;
    let line = data.subarray(start, end);
    const rec = parseRecord(line);
    if (rec) {
      // Existing fields keep their order; a missing prev_hash or record_hash is added.
      const sealed: Record<string, JsonValue> = { ...rec, prev_hash: prev, record_hash: '' };
      sealed['record_hash'] = computeRecordHash(sealed);
      if (rec['prev_hash'] !== sealed['prev_hash'] || rec['record_hash'] !== sealed['record_hash']) {
        line = Buffer.from(encodeJson(sealed, { pretty: false }));
        rewritten++;
        if (firstChange < 0) firstChange = offset;
      }
      prev = sealed['record_hash'] as string;
    }
    out.push(line);
    if (nl < 0) break;
    out.push(Buffer.from('\n'));
    // Before the first change the new content equals the old: offsets agree.
    offset += line.length + 1;
    start = nl + 1;
  }
  return { content: Buffer.concat(out), firstChange, rewritten };
}

export async function repairAudit(ctx: DoctorContext): Promise<RepairOutcome> {
  const path = ctx.layout.auditLog;
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { message: 'rewrote 0 records', cleaned: 0 };
    throw e;
  }
  try {
    const lock = await getCore().lockExclusive(path);
    try {
      const data = await fh.readFile();
      await mkdir(ctx.layout.ext, { recursive: true });
      await writeFileAtomic(join(ctx.layout.ext, `audit-${nowTimestamp()}.jsonl.bak`), data, 0o644);
      const { content, firstChange, rewritten } = rechain(data);
      if (firstChange >= 0) {
        await fh.truncate(firstChange);
        const tail = content.subarray(firstChange);
        await fh.write(tail, 0, tail.length, firstChange);
        await fh.sync();
      }
      return { message: `rewrote ${rewritten} records`, cleaned: rewritten };
    } finally {
      lock.unlock();
    }
  } finally {
    await fh.close();
  }
}
