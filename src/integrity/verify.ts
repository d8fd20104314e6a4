/**
 * `jvs verify` (CONTRACT §2.8, D6): per snapshot, (1) directory, descriptor and root READY are
 * present, (2) the descriptor parses and its checksum matches, (3) the payload reproduces
 * `payload_root_hash`; in all-mode also lineage and the audit chain. The first failing check
 * is the one reported, but the payload is hashed even after a checksum failure so the changed
 * files can still be listed.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import { ERROR_CLASSES, JvsError } from '../errors.js';
import { checksumValid, readDescriptor, type Descriptor } from '../formats/descriptor.js';
import { byteOrder } from '../encoding/order.js';
import { READY } from '../formats/markers.js';
import { pathExists } from '../fs/exists.js';
import { getCore } from '../native/index.js';
import { openCompressed, type CompressedSnapshot } from '../compress/index.js';
import { listSnapshots, snapshotDirs } from '../repo/catalog.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';
import type { Repository } from '../repo/repository.js';
import { auditChainStatus } from './audit-chain.js';
import { differencesOf, type Difference } from './differences.js';
import { checkLineage, type LineageProblem } from './lineage.js';

/** The result object of §2.8, fields in its order; empty ones are absent. */
export interface VerifyResult {
  snapshot_id: string;
  checksum_valid: boolean;
  /** False when not checked (`--quick`, or an earlier check failed before hashing). */
  payload_hash_valid: boolean;
  tamper_detected: boolean;
  severity?: 'critical' | 'error';
  /** `<CLASS>: <detail>`, e.g. `E_PAYLOAD_HASH_MISMATCH: payload hash mismatch`. */
  error?: string;
  /** Present when a manifest exists and the payload differs from it. */
  differences?: Difference[];
}

/** A problem with the audit log found by all-mode. */
export interface AuditProblem {
  /** E_AUDIT_CHAIN_BROKEN, or E_IO when the log cannot be read. */
  code: 'E_AUDIT_CHAIN_BROKEN' | 'E_IO';
  /** The first broken line (absent for an I/O failure). */
  line?: number;
  /** The text after `Audit chain: BROKEN[ at line <n>]: `. */
  reason: string;
  /** The error message (`audit hash chain broken at line <n>`, …). */
  message: string;
}

/** What all-mode found: everything the CLI prints and bases the exit status on. */
export interface VerifyAllReport {
  /** One result per snapshot directory (not `*.tmp`) in name order; null when there is none (JSON `null`). */
  results: VerifyResult[] | null;
  /** Lineage problems (not checked with `quick`). */
  lineage: LineageProblem[];
  /** The audit chain's first problem (not checked with `quick`). */
  audit?: AuditProblem;
}

export interface VerifyOptions {
  /** Checksum only: skip the payload hash (and, in all-mode, lineage and audit). */
  quick?: boolean;
}

export interface VerifyAllOptions extends VerifyOptions {
  /** Called after each snapshot. */
  onProgress?: (p: { done: number; total: number }) => void;
}

interface Failure {
  tamper: boolean;
  severity: 'critical' | 'error';
  error: string;
}

const tampered = (error: string): Failure => ({ tamper: true, severity: 'critical', error });
const failed = (error: string): Failure => ({ tamper: false, severity: 'error', error });

function result(id: string, checksum: boolean, payload: boolean, failure?: Failure, differences?: Difference[]): VerifyResult {
  const r: VerifyResult = { snapshot_id: id, checksum_valid: checksum, payload_hash_valid: payload, tamper_detected: failure?.tamper ?? false };
  if (failure) {
    r.severity = failure.severity;
    r.error = failure.error;
  }
  if (differences && differences.length > 0) r.differences = differences;
  return r;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** `.READY`, or `.READY.gz` in v8.2's compressed layout (§3.9). */
export async function hasReadyMarker(dir: string): Promise<boolean> {
  return (await pathExists(join(dir, READY))) || (await pathExists(join(dir, `${READY}.gz`)));
}

/** Check (1): what is missing, if anything. */
async function presenceFailure(layout: RepoLayout, id: string): Promise<Failure | undefined> {
  const dir = layout.snapshotDir(id);
  const [hasDir, hasDescriptor] = await Promise.all([isDirectory(dir), pathExists(layout.descriptor(id))]);
  if (!hasDir && !hasDescriptor) return failed(`E_NOT_FOUND: snapshot not found: ${id}`);
  if (!hasDescriptor) return tampered(`E_PARTIAL_SNAPSHOT: descriptor not found: ${id}`);
  if (!hasDir) return failed(`E_PARTIAL_SNAPSHOT: snapshot directory not found: ${id}`);
  if (!(await hasReadyMarker(dir))) return tampered(`E_PARTIAL_SNAPSHOT: READY marker missing: ${id}`);
  return undefined;
}

/** Check (3). */
async function payloadCheck(layout: RepoLayout, id: string, d: Descriptor): Promise<{ valid: boolean; failure?: Failure; differences?: Difference[] }> {
  const dir = layout.snapshotDir(id);
  let rootHash: string;
  // [compress hook] A compressed snapshot is hashed as its logical tree (§3.9).
  let logical: CompressedSnapshot | undefined;
  try {
    logical = d.compression ? await openCompressed(layout, d) : undefined;
    rootHash = logical ? (await logical.hash()).rootHash : (await getCore().hashTree(dir)).rootHash;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'E_UNSUPPORTED_FILE') return { valid: false, failure: tampered(`E_UNSUPPORTED_FILE: ${err.message}`) };
    return { valid: false, failure: failed(`E_IO: compute payload hash: ${err.message ?? String(e)}`) };
  }
  if (rootHash === d.payload_root_hash) return { valid: true };
  // v8.2 did not store what its compressed layout lost: not reconstructable is not tampering.
  if (logical?.layout === 'v8.2') {
    return { valid: false, failure: failed('E_PAYLOAD_HASH_MISMATCH: v8.2 compressed layout: original modes or symlinks not recoverable') };
  }
  // The slow path, only for a damaged snapshot: hash again keeping the records to list them.
  const differences = await differencesOf(layout, id, dir, logical && (await logical.hash()).records);
  return { valid: false, failure: tampered('E_PAYLOAD_HASH_MISMATCH: payload hash mismatch'), ...(differences ? { differences } : {}) };
}

/**
 * Checks (2) and (3) of a snapshot whose directory and descriptor exist; `doctor --strict`
 * runs only these (it reports missing pieces itself).
 */
export async function checkContent(layout: RepoLayout, id: string, quick: boolean): Promise<VerifyResult> {
  let d: Descriptor;
  try {
    d = await readDescriptor(layout.descriptor(id));
  } catch (e) {
    const err = e instanceof JvsError ? e : new JvsError('E_IO', String(e));
    return result(id, false, false, err.code === 'E_DESCRIPTOR_CORRUPT' ? tampered(err.message) : failed(`E_IO: ${err.message}`));
  }
  // A descriptor naming another snapshot (swapped or replayed) does not certify this one.
  const checksumOk = d.snapshot_id === id && checksumValid(d);
  const checksumFailure = checksumOk ? undefined : tampered('E_DESCRIPTOR_CORRUPT: descriptor checksum mismatch');
  if (quick) return result(id, checksumOk, false, checksumFailure);
  const payload = await payloadCheck(layout, id, d);
  return result(id, checksumOk, payload.valid, checksumFailure ?? payload.failure, payload.differences);
}

/** All three checks on one snapshot id (already validated as a path component). */
async function checkSnapshot(layout: RepoLayout, id: string, quick: boolean): Promise<VerifyResult> {
  const missing = await presenceFailure(layout, id);
  return missing ? result(id, false, false, missing) : checkContent(layout, id, quick);
}

/**
 * `jvs verify <id>`: the raw snapshot id, no ref resolution. An id with a separator or NUL,
 * or `.`/`..`, is refused with E_PATH_ESCAPE.
 */
export async function verifySnapshot(repo: Repository, id: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  // The empty id is not an escape (§2.8), but it would name the snapshots directory itself.
  if (id === '') return result(id, false, false, failed(`E_NOT_FOUND: snapshot not found: ${id}`));
  if (!isSafeComponent(id)) throw new JvsError('E_PATH_ESCAPE', `verify: E_PATH_ESCAPE: invalid snapshot id: ${id}`);
  return checkSnapshot(repo.layout, id, opts.quick ?? false);
}

async function auditProblem(repo: Repository): Promise<AuditProblem | undefined> {
  const status = await auditChainStatus(repo.layout.auditLog);
  for (const line of status.malformed) repo.warn(`audit log: malformed record at line ${line}`);
  if (status.ioError) return { code: 'E_IO', reason: status.ioError.message, message: status.ioError.message };
  const b = status.break;
  if (!b) return undefined;
  const reason = b.kind === 'broken' ? 'prev_hash does not match the previous record_hash' : 'record_hash does not match the record';
  return { code: 'E_AUDIT_CHAIN_BROKEN', line: b.line, reason, message: b.message };
}

/** `jvs verify` / `jvs verify --all`. Malformed audit lines go to `repo.warn`. */
export async function verifyAll(repo: Repository, opts: VerifyAllOptions = {}): Promise<VerifyAllReport> {
  const quick = opts.quick ?? false;
  const ids = (await snapshotDirs(repo.layout)).sort(byteOrder);
  const results: VerifyResult[] = [];
  for (const id of ids) {
    results.push(await checkSnapshot(repo.layout, id, quick));
    opts.onProgress?.({ done: results.length, total: ids.length });
  }
  const report: VerifyAllReport = { results: ids.length === 0 ? null : results, lineage: [] };
  if (quick) return report;
  report.lineage = await checkLineage(repo.layout, (await listSnapshots(repo.layout)).snapshots);
  const audit = await auditProblem(repo);
  if (audit) report.audit = audit;
  return report;
}

/** Whether a result reports a problem (tamper or any severity). */
export function resultFailed(r: VerifyResult): boolean {
  return r.tamper_detected || r.severity !== undefined;
}

/**
 * The error a failed verify ends with (§1.5: JSON mode prints it on stderr, exit 1): the class
 * and text of the first problem; undefined when everything verified.
 */
export function verifyError(report: VerifyResult | VerifyAllReport): JvsError | undefined {
  const results = 'snapshot_id' in report ? [report] : (report.results ?? []);
  const bad = results.find(resultFailed);
  if (bad?.error !== undefined) {
    const code = /^(E_[A-Z_]+): /.exec(bad.error)?.[1];
    return new JvsError(ERROR_CLASSES.find((c) => c === code) ?? 'E_IO', bad.error);
  }
  if ('snapshot_id' in report) return undefined;
  const lineage = report.lineage[0];
  if (lineage) return new JvsError('E_LINEAGE_BROKEN', lineage.description);
  if (report.audit) return new JvsError(report.audit.code, report.audit.message);
  return undefined;
}
