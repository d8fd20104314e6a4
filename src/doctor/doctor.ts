/**
 * `jvs doctor` (CONTRACT §2.9, §8): repairs first when asked (under the repository lock), then
 * the checks in their order. Healthy means no critical finding.
 */
import { JvsError } from '../errors.js';
import type { Repository } from '../repo/repository.js';
import { checkAudit } from './audit.js';
import { doctorContext, type DoctorContext } from './context.js';
import { checkFormat } from './format.js';
import { checkGcRuns } from './gc-runs.js';
import { checkIntegrity, checkLineageFindings } from './integrity.js';
import { checkIntents } from './intents.js';
import { checkLocks } from './locks.js';
import { runRepairs, selectRepairs } from './repairs.js';
import { checkRestores } from './restores.js';
import { checkSnapshots } from './snapshots.js';
import { checkTmp } from './tmp.js';
import type { DoctorResult, Finding } from './types.js';
import { checkWorktrees } from './worktrees.js';

export interface DoctorOptions {
  /** Also checks 9 (checksums and payload hashes) and 10 (audit chain). */
  strict?: boolean;
  /** Run every auto-safe repair first. */
  repairRuntime?: boolean;
  /** Repair actions to run first, safe or not (unknown ids: E_USAGE before anything runs). */
  repair?: readonly string[];
}

type Check = (ctx: DoctorContext) => Promise<Finding[]>;

/** Checks 1–11 in §8.1 order; 9 and 10 only with `strict`. */
function checks(strict: boolean): Check[] {
  return [
    checkFormat,
    checkWorktrees,
    checkIntents,
    checkSnapshots,
    checkLineageFindings,
    checkRestores,
    checkLocks,
    checkGcRuns,
    ...(strict ? [checkIntegrity, checkAudit] : []),
    checkTmp,
  ];
}

async function runChecks(repo: Repository, strict: boolean): Promise<Finding[]> {
  const ctx = await doctorContext(repo, false);
  const findings: Finding[] = [];
  for (const check of checks(strict)) findings.push(...(await check(ctx)));
  return findings;
}

export async function doctor(repo: Repository, opts: DoctorOptions = {}): Promise<DoctorResult> {
  const ids = selectRepairs(opts.repairRuntime ?? false, opts.repair ?? []);
  const repairs = ids.length > 0 ? await repo.withRepoLock('doctor', () => runRepairs(repo, ids)) : undefined;
  // The checks run after the lock is released: they look at the repository as others see it.
  const findings = await runChecks(repo, opts.strict ?? false);
  const result: DoctorResult = { healthy: !findings.some((f) => f.severity === 'critical'), findings: findings.length > 0 ? findings : null };
  if (repairs) result.repairs = repairs;
  return result;
}

/**
 * The error a doctor run ends with (§1.5, §2.9): a failed repair (E_IO), else the first
 * critical finding when unhealthy; undefined when the run succeeded (exit 0).
 */
export function doctorError(result: DoctorResult): JvsError | undefined {
  const failed = result.repairs?.find((r) => !r.success);
  if (failed) return new JvsError('E_IO', `doctor: repair ${failed.action} failed: ${failed.message}`);
  const critical = result.findings?.find((f) => f.severity === 'critical');
  if (critical) return new JvsError(critical.error_code ?? 'E_IO', critical.description);
  return undefined;
}
