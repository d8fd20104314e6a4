/**
 * The one entry point to the native core for the rest of JVS: nothing outside src/native/
 * imports the binding, the fallback or the loader's internals.
 */
import { getCore } from './loader.js';
import type { WalkEntry } from './types.js';

export { getCore, coreInfo, platformTag, type CoreInfo } from './loader.js';
export { isCoreError } from './errors.js';
export { assembleRecords, recordLine } from './records.js';
export { INDEX_STAT_OFFSET, STAT_ID_BYTES, decodeIndex, encodeIndex, indexEntryAt, patchIndexPieces, statIdOf, statIdWithDev } from './codec.js';
export type * from './types.js';

/**
 * Starts walking `root` now and returns the pending walk, for callers with other work to do
 * meanwhile (the walk runs on threads of its own). A failure surfaces where the walk is
 * awaited; until then it is not an unhandled rejection.
 */
export function walkAhead(root: string): Promise<WalkEntry[]> {
  const walking = getCore().walk(root);
  walking.catch(() => undefined);
  return walking;
}
