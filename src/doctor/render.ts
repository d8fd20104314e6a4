/**
 * The text forms of `jvs doctor` (CONTRACT §2.9). `healthy`, `Findings (` and `Repair <id>:`
 * are phrases scripts match: printed plain.
 */
import type { DoctorResult, RepairAction, RepairResult } from './types.js';

/** `Repository is healthy.` only when there are no findings at all; else the findings. */
export function renderFindings(result: DoctorResult): string[] {
  const findings = result.findings ?? [];
  if (findings.length === 0) return ['Repository is healthy.'];
  return [
    `Findings (${findings.length}):`,
    ...findings.map((f) => `  [${f.severity}] ${f.category}: ${f.description}${f.error_code ? ` [${f.error_code}]` : ''}`),
  ];
}

/** One line per action that ran. */
export function renderRepairs(repairs: readonly RepairResult[]): string[] {
  return repairs.map((r) => `Repair ${r.action}: ${r.message}`);
}

/** `--repair-list`. */
export function renderRepairList(actions: readonly RepairAction[]): string[] {
  return ['Available repair actions:', ...actions.map((a) => `  ${a.id}${a.auto_safe ? ' (safe)' : ''}: ${a.description}`)];
}
