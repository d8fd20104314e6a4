/** `jvs doctor` (CONTRACT §2.9, §8): checks, findings, repairs. */
export { doctor, doctorError, type DoctorOptions } from './doctor.js';
export { repairActions } from './repairs.js';
export { renderFindings, renderRepairList, renderRepairs } from './render.js';
export { REPAIR_IDS, type DoctorResult, type Finding, type RepairAction, type RepairId, type RepairResult, type Severity } from './types.js';
