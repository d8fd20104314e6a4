/** `jvs verify` (CONTRACT §2.8) and the integrity checks doctor shares with it. */
export {
  checkContent,
  resultFailed,
  verifyAll,
  verifyError,
  verifySnapshot,
  type AuditProblem,
  type VerifyAllOptions,
  type VerifyAllReport,
  type VerifyOptions,
  type VerifyResult,
} from './verify.js';
export { compareRecords, differencesOf, type Difference } from './differences.js';
export { checkLineage, type LineageProblem } from './lineage.js';
export { auditChainStatus, type AuditChainStatus } from './audit-chain.js';
export { renderVerifyAll, renderVerifySnapshot, type IdStyle } from './render.js';
