/**
 * The JVS library API. Everything the CLI does is available here, with typed results equal to
 * the CLI's `--json` output.
 */
export { payloadRootHash, cloneTree, probeEngines, type PayloadHash } from './tree.js';
export { Repository, type InfoResult, type InitResult, type RepositoryOptions } from './repo/repository.js';
export { JvsError, isJvsError, type ErrorClass } from './errors.js';
export { coreInfo, isCoreError } from './native/index.js';
export type {
  CloneFallback,
  CloneOptions,
  CloneReport,
  CommonOptions,
  CoreError,
  DegradeReason,
  EngineName,
  EngineProbe,
  HashOptions,
  HashRecord,
  Progress,
} from './native/index.js';
