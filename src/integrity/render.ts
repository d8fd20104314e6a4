/**
 * The text forms of `jvs verify` (CONTRACT §2.8). Only ids are styled: `OK`, `TAMPERED` and
 * `Checksum: true` are phrases scripts match.
 */
import type { Difference } from './differences.js';
import { resultFailed, type VerifyAllReport, type VerifyResult } from './verify.js';

/** How ids are styled (the CLI passes its palette; plain by default). */
export interface IdStyle {
  id(s: string): string;
}

const PLAIN: IdStyle = { id: (s) => s };

const MARK: Record<Difference['type'], string> = { added: '+', removed: '-', modified: '~' };

function differenceLines(r: VerifyResult): string[] {
  return (r.differences ?? []).map((d) => `    ${MARK[d.type]} ${d.path.toString()}`);
}

/** `<id>  OK|TAMPERED|ERROR` per snapshot with its differences, then lineage and audit breaks. */
export function renderVerifyAll(report: VerifyAllReport, style: IdStyle = PLAIN): string[] {
  const lines: string[] = [];
  for (const r of report.results ?? []) {
    const verdict = r.tamper_detected ? 'TAMPERED' : resultFailed(r) ? 'ERROR' : 'OK';
    lines.push(`${style.id(r.snapshot_id)}  ${verdict}`, ...differenceLines(r));
  }
  for (const l of report.lineage) lines.push(`Lineage: BROKEN: ${l.description}`);
  const a = report.audit;
  if (a) lines.push(a.line === undefined ? `Audit chain: BROKEN: ${a.reason}` : `Audit chain: BROKEN at line ${a.line}: ${a.reason}`);
  return lines;
}

/** The single-snapshot block. */
export function renderVerifySnapshot(r: VerifyResult, quick: boolean, style: IdStyle = PLAIN): string[] {
  const lines = [
    `Snapshot: ${style.id(r.snapshot_id)}`,
    `  Checksum: ${r.checksum_valid}`,
    `  Payload hash: ${quick ? 'skipped' : r.payload_hash_valid}`,
  ];
  if (r.error !== undefined) lines.push(r.tamper_detected ? `  TAMPER DETECTED: ${r.error}` : `  ERROR: ${r.error}`);
  return [...lines, ...differenceLines(r)];
}
