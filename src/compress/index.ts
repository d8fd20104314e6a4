/**
 * Compressed snapshots (CONTRACT §3.9, D20): our layout written by `snapshot --compress`, and
 * the logical tree of both layouts for every module that needs content.
 */
export { checkCompressionLevel, parseCompressionLevel } from './level.js';
export { compressTree, type CompressOutcome } from './write.js';
export { CompressedSnapshot, inexactWarning, openCompressed, type CompressedLayout } from './logical.js';
export type { LogicalEntry } from './entry.js';
export { resolveLinks, type LinkNode, type Resolution } from './links.js';
