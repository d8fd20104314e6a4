/**
 * Engine degradation (CONTRACT §6.2): what the JSON outputs of snapshot, restore and worktree
 * fork/create report, and the warning every one of them prints. The one place both are made.
 */
import type { CloneReport } from '../native/index.js';
import { CORE_TO_STORED, type StoredEngine } from './select.js';

export interface Degradation {
  requested_engine: string;
  engine: string;
  reasons: string[];
}

/** The degradation a clone report shows, if any; `engine` is the one that produced the bytes. */
export function degradationOf(requested: StoredEngine, report: CloneReport | undefined): Degradation | undefined {
  if (!report || report.degraded.length === 0) return undefined;
  return { requested_engine: requested, engine: CORE_TO_STORED[report.engine], reasons: [...report.degraded] };
}

/** `engine degraded: requested <req>, used <engine> (<reasons>)` (printed as `warning: …`). */
export function degradationWarning(d: Degradation): string {
  return `engine degraded: requested ${d.requested_engine}, used ${d.engine} (${d.reasons.join(', ')})`;
}
