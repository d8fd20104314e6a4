/** Garbage collection (CONTRACT §2.10, §7): `gc plan` and `gc run`. */
export { gcPlan } from './plan.js';
export { gcRun, gcRunPreflight, GC_RUN_STEPS, type GcProgress, type GcRunOptions, type GcRunResult } from './run.js';
export { unfinishedRuns } from './run-state.js';
