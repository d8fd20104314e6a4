/**
 * The objects `jvs doctor` prints (CONTRACT §2.9, §8): findings, repair actions and results,
 * each built with its fields in the documented order and empty optional fields absent.
 */
import type { ErrorClass } from '../errors.js';

export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** The repair actions of §8.2, in table order (the order they run in). */
export const REPAIR_IDS = ['clean_tmp', 'clean_intents', 'rebuild_index', 'audit_repair', 'advance_head', 'clean_locks', 'resume_restore'] as const;

export type RepairId = (typeof REPAIR_IDS)[number];

export interface Finding {
  category: string;
  description: string;
  severity: Severity;
  error_code?: ErrorClass;
  /** The file or directory concerned, when there is one. */
  path?: string;
  /** The action that fixes it, when one does. */
  repair?: RepairId;
}

/** An entry of `--repair-list`. */
export interface RepairAction {
  id: RepairId;
  description: string;
  auto_safe: boolean;
}

export interface RepairResult {
  action: RepairId;
  success: boolean;
  message: string;
  /** Absent when 0. */
  cleaned?: number;
}

/** What a repair action did: its message and how many things it fixed. */
export interface RepairOutcome {
  message: string;
  cleaned: number;
}

/** `doctor --json`. */
export interface DoctorResult {
  healthy: boolean;
  /** Null when there is none (v8.2's nil list). */
  findings: Finding[] | null;
  /** Present only when a repair ran. */
  repairs?: RepairResult[];
}

/** Builds a finding with its fields in §2.9 order. */
export function finding(
  category: string,
  severity: Severity,
  description: string,
  extra: { error_code?: ErrorClass; path?: string; repair?: RepairId } = {},
): Finding {
  const f: Finding = { category, description, severity };
  if (extra.error_code) f.error_code = extra.error_code;
  if (extra.path) f.path = extra.path;
  if (extra.repair) f.repair = extra.repair;
  return f;
}
