/**
 * The audit chain as `verify --all` and `doctor --strict` judge it (CONTRACT §3.11): linkage and
 * record_hash recomputation over the whole log, malformed lines as warnings, and I/O failures
 * told apart by whether the log could be opened at all.
 */
import { verifyChain, type ChainProblem } from '../formats/audit.js';
import { goPathError } from '../fs/go-errors.js';

export interface AuditChainStatus {
  /** 1-based numbers of lines that do not parse (warnings: a torn last line is crash residue). */
  malformed: number[];
  /** The first break: `audit hash chain broken at line <n>` / `audit record hash mismatch at line <n>`. */
  break?: ChainProblem;
  /** The log exists but could not be opened (`open`) or read to its end (`read`). */
  ioError?: { op: 'open' | 'read'; message: string };
}

export async function auditChainStatus(path: string): Promise<AuditChainStatus> {
  try {
    const report = await verifyChain(path);
    return { malformed: report.malformed, ...(report.problem ? { break: report.problem } : {}) };
  } catch (e) {
    const op = (e as NodeJS.ErrnoException).syscall === 'open' ? 'open' : 'read';
    return { malformed: [], ioError: { op, message: goPathError(op, path, e) } };
  }
}
