/**
 * The repair actions of CONTRACT §8.2 and how one runs: under the repository lock (held by the
 * caller), each action appends a `doctor_repair` audit record, and a failing action is
 * reported, not thrown, so the others still run.
 */
import { JvsError } from '../errors.js';
import type { Repository } from '../repo/repository.js';
import { repairAudit } from './audit.js';
import { doctorContext, type DoctorContext } from './context.js';
import { cleanIntents } from './intents.js';
import { cleanLocks } from './locks.js';
import { rebuildIndex } from './rebuild-index.js';
import { resumeRestores } from './restores.js';
import { cleanTmp } from './tmp.js';
import { REPAIR_IDS, type RepairAction, type RepairId, type RepairOutcome, type RepairResult } from './types.js';
import { advanceHeads } from './worktrees.js';

interface RepairDef {
  description: string;
  auto_safe: boolean;
  run(ctx: DoctorContext): Promise<RepairOutcome>;
}

const REPAIRS: Record<RepairId, RepairDef> = {
  clean_tmp: { description: 'Remove orphan .tmp files and directories', auto_safe: true, run: cleanTmp },
  clean_intents: { description: 'Remove completed/abandoned intent files', auto_safe: true, run: cleanIntents },
  rebuild_index: { description: 'Rebuild index from snapshot state', auto_safe: false, run: rebuildIndex },
  audit_repair: { description: 'Recompute audit hash chain', auto_safe: false, run: repairAudit },
  advance_head: { description: 'Advance stale head to latest READY', auto_safe: false, run: advanceHeads },
  clean_locks: { description: 'Remove stale locks of dead processes', auto_safe: true, run: cleanLocks },
  resume_restore: { description: 'Finish interrupted restores', auto_safe: true, run: resumeRestores },
};

/** `doctor --repair-list`, in §8.2 order. */
export function repairActions(): RepairAction[] {
  return REPAIR_IDS.map((id) => ({ id, description: REPAIRS[id].description, auto_safe: REPAIRS[id].auto_safe }));
}

const isRepairId = (id: string): id is RepairId => (REPAIR_IDS as readonly string[]).includes(id);

/**
 * The actions to run, in §8.2 order (which is also the order that lets one finish another's
 * work: tmp dirs before the intents that explain them): every auto-safe one with `runtime`,
 * plus those named. An unknown name is a usage error, raised before anything runs.
 */
export function selectRepairs(runtime: boolean, named: readonly string[]): RepairId[] {
  const unknown = named.find((id) => !isRepairId(id));
  if (unknown !== undefined) {
    throw new JvsError('E_USAGE', `doctor: unknown repair action: ${unknown}`, { hint: "See 'jvs doctor --help'." });
  }
  return REPAIR_IDS.filter((id) => (runtime && REPAIRS[id].auto_safe) || named.includes(id));
}

async function runOne(repo: Repository, id: RepairId): Promise<RepairResult> {
  let outcome: RepairOutcome & { success: boolean };
  try {
    // Each action sees the state the previous one left.
    outcome = { ...(await REPAIRS[id].run(await doctorContext(repo, true))), success: true };
  } catch (e) {
    outcome = { message: e instanceof Error ? e.message : String(e), cleaned: 0, success: false };
  }
  const { message, cleaned, success } = outcome;
  await repo.audit({ event_type: 'doctor_repair', details: { action: id, success, message, cleaned } });
  return { action: id, success, message, ...(cleaned !== 0 ? { cleaned } : {}) };
}

/** Runs the actions in order; the caller holds the repository lock. */
export async function runRepairs(repo: Repository, ids: readonly RepairId[]): Promise<RepairResult[]> {
  const out: RepairResult[] = [];
  for (const id of ids) out.push(await runOne(repo, id));
  return out;
}
