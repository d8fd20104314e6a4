/**
 * Checks 5 (lineage) and 9 (`--strict`: checksum and payload hash of every snapshot), on the
 * integrity module's verification (CONTRACT §8.1, §2.8).
 */
import { byteOrder } from '../encoding/order.js';
import { pathExists } from '../fs/exists.js';
import { checkLineage } from '../integrity/lineage.js';
import { checkContent } from '../integrity/verify.js';
import { listSnapshots, snapshotDirs } from '../repo/catalog.js';
import type { DoctorContext } from './context.js';
import { finding, type Finding } from './types.js';

export async function checkLineageFindings(ctx: DoctorContext): Promise<Finding[]> {
  const problems = await checkLineage(ctx.layout, (await listSnapshots(ctx.layout)).snapshots);
  return problems.map((p) => finding('lineage', 'critical', p.description, { error_code: 'E_LINEAGE_BROKEN', path: p.path }));
}

const TAMPER_CLASSES = ['E_DESCRIPTOR_CORRUPT', 'E_PAYLOAD_HASH_MISMATCH', 'E_UNSUPPORTED_FILE'] as const;

export async function checkIntegrity(ctx: DoctorContext): Promise<Finding[]> {
  const { layout } = ctx;
  const out: Finding[] = [];
  for (const id of (await snapshotDirs(layout)).sort(byteOrder)) {
    // A directory without a descriptor is check 4's.
    if (!(await pathExists(layout.descriptor(id)))) continue;
    const { error, tamper_detected: tamper } = await checkContent(layout, id, false);
    if (error === undefined) continue;
    const path = layout.snapshotDir(id);
    if (tamper) {
      const code = TAMPER_CLASSES.find((c) => error.startsWith(`${c}: `));
      out.push(finding('integrity', 'critical', `snapshot ${id}: ${error}`, { ...(code ? { error_code: code } : {}), path }));
    } else {
      out.push(finding('integrity', 'error', `verification failed: ${error}`, { path }));
    }
  }
  return out;
}
