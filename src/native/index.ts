/**
 * The one entry point to the native core for the rest of JVS: nothing outside src/native/
 * imports the binding, the fallback or the loader's internals.
 */
export { getCore, coreInfo, platformTag, type CoreInfo } from './loader.js';
export { isCoreError } from './errors.js';
export { assembleRecords, recordLine } from './records.js';
export { statIdOf } from './codec.js';
export type * from './types.js';
