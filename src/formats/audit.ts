/**
 * The hash-chained audit log `.jvs/audit/audit.jsonl` (CONTRACT §3.11): appending a record and
 * checking the chain. The only module that reads or writes it.
 *
 * Append is O(1) in the log's size: under flock(LOCK_EX) on the log itself (the lock v8.2
 * takes, so both tools can append at once), it reads backwards from the end to the last line
 * that parses, chains to its record_hash, and appends one line in one write, then fsyncs.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

import { canonicalHash } from '../encoding/canonical.js';
import { encodeJson, type JsonValue } from '../encoding/json.js';
import { getCore } from '../native/index.js';

export interface AuditEvent {
  event_type: string;
  snapshot_id?: string;
  worktree_name?: string;
  /** Written with keys sorted; left out when empty. */
  details?: Record<string, JsonValue>;
}

export interface AuditRecord extends AuditEvent {
  timestamp: string;
  prev_hash: string;
  record_hash: string;
}

function sortedDetails(d: Record<string, JsonValue> | undefined): Record<string, JsonValue> | undefined {
  if (!d || Object.keys(d).length === 0) return undefined;
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(d).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) out[k] = d[k]!;
  return out;
}

/** The record in §3.11 field order, empty optional fields left out. */
function recordObject(r: AuditRecord): Record<string, JsonValue | undefined> {
  return {
    timestamp: r.timestamp,
    event_type: r.event_type,
    snapshot_id: r.snapshot_id || undefined,
    worktree_name: r.worktree_name || undefined,
    details: sortedDetails(r.details),
    prev_hash: r.prev_hash,
    record_hash: r.record_hash,
  };
}

/** record_hash: canonical JSON of the record as written, with record_hash "" (§3.11). */
export function computeRecordHash(record: Record<string, unknown>): string {
  return canonicalHash({ ...(record as Record<string, JsonValue>), record_hash: '' });
}

export function encodeRecord(r: AuditRecord): string {
  return encodeJson(recordObject(r) as Record<string, JsonValue>, { pretty: false });
}

/** Builds the sealed record that follows `prevHash`. */
export function sealRecord(event: AuditEvent, timestamp: string, prevHash: string): AuditRecord {
  const draft: AuditRecord = { ...event, timestamp, prev_hash: prevHash, record_hash: '' };
  const asWritten = JSON.parse(encodeRecord(draft)) as Record<string, unknown>;
  return { ...draft, record_hash: computeRecordHash(asWritten) };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record_hash of the last line that parses, reading backwards in growing windows so that
 * neither the log's size nor a line's length matters. Also says whether the file ends in `\n`.
 */
async function tail(fh: FileHandle): Promise<{ prevHash: string; endsWithNewline: boolean }> {
  const size = (await fh.stat()).size;
  if (size === 0) return { prevHash: '', endsWithNewline: true };
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  const endsWithNewline = last[0] === 0x0a;
  for (let window = 64 * 1024; ; window *= 2) {
    const start = Math.max(0, size - window);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    // Unless the window reaches the file's start, its first piece may be a partial line.
    const first = start === 0 ? 0 : 1;
    for (let i = lines.length - 1; i >= first; i--) {
      const rec = parseLine(lines[i]!);
      if (rec) return { prevHash: typeof rec['record_hash'] === 'string' ? rec['record_hash'] : '', endsWithNewline };
    }
    if (start === 0) return { prevHash: '', endsWithNewline };
  }
}

/** Appends one record; returns it. Errors are the caller's to turn into a warning (§3.11). */
export async function appendAudit(path: string, event: AuditEvent, timestamp: string): Promise<AuditRecord> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'a+', 0o644);
  try {
    const lock = await getCore().lockExclusive(path);
    try {
      const { prevHash, endsWithNewline } = await tail(fh);
      const record = sealRecord(event, timestamp, prevHash);
      const line = (endsWithNewline ? '' : '\n') + encodeRecord(record) + '\n';
      await fh.appendFile(line);
      await fh.sync();
      return record;
    } finally {
      lock.unlock();
    }
  } finally {
    await fh.close();
  }
}

export type ChainProblem =
  | { kind: 'broken'; line: number; message: string }
  | { kind: 'mismatch'; line: number; message: string };

export interface ChainReport {
  /** Line numbers (1-based) that do not parse: warnings, not breaks. */
  malformed: number[];
  /** The first break, if any. */
  problem?: ChainProblem;
  records: number;
}

/**
 * Checks linkage and every record_hash, line by line, streaming (no line-length limit). A
 * missing log is an empty chain.
 */
export async function verifyChain(path: string): Promise<ChainReport> {
  const report: ChainReport = { malformed: [], records: 0 };
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return report;
    throw e;
  }
  let prev: string | undefined;
  let n = 0;
  // The stream closes the handle when it ends.
  for await (const line of createInterface({ input: fh.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity })) {
    n++;
    if (line === '') continue;
    const rec = parseLine(line);
    if (!rec) {
      report.malformed.push(n);
      continue;
    }
    report.records++;
    if (report.problem) continue;
    const prevHash = typeof rec['prev_hash'] === 'string' ? rec['prev_hash'] : '';
    if (prevHash !== (prev ?? '')) {
      report.problem = { kind: 'broken', line: n, message: `audit hash chain broken at line ${n}` };
    } else if (rec['record_hash'] !== computeRecordHash(rec)) {
      report.problem = { kind: 'mismatch', line: n, message: `audit record hash mismatch at line ${n}` };
    }
    prev = typeof rec['record_hash'] === 'string' ? rec['record_hash'] : '';
  }
  return report;
}
