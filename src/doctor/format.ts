/**
 * Check 1 (CONTRACT §8.1, §3.2): `.jvs/format_version` must hold a positive integer no greater
 * than the version we support. Discovery is laxer (a leading integer suffices); doctor is not.
 */
import { readFile } from 'node:fs/promises';

import { goQuote } from '../repo/names.js';
import type { DoctorContext } from './context.js';
import { finding, type Finding } from './types.js';

const SUPPORTED = 1n;
/** What Go's strconv.Atoi accepts on 64-bit platforms. */
const MAX_INT = 2n ** 63n - 1n;

const formatFinding = (description: string): Finding => finding('format', 'critical', description, { error_code: 'E_FORMAT_UNSUPPORTED' });

export async function checkFormat(ctx: DoctorContext): Promise<Finding[]> {
  let text: string;
  try {
    text = await readFile(ctx.layout.formatVersion, 'utf8');
  } catch {
    return [formatFinding('format_version file missing or unreadable')];
  }
  const trimmed = text.trim();
  const n = /^[+-]?\d+$/.test(trimmed) ? BigInt(trimmed) : undefined;
  if (n === undefined || n < 1n || n > MAX_INT) return [formatFinding(`format_version file contains invalid content: ${goQuote(trimmed)}`)];
  if (n > SUPPORTED) return [formatFinding(`format version ${n} > supported ${SUPPORTED}`)];
  return [];
}
