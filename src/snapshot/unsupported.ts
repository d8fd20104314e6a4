/** The refusal of a special file in a snapshot's source (CONTRACT §3.4 step 2). */
import { JvsError } from '../errors.js';
import type { WalkEntry } from '../native/index.js';

/** The E_UNSUPPORTED_FILE error for a FIFO, socket or device; undefined for anything else. */
export function unsupportedFileError(e: WalkEntry): JvsError | undefined {
  if (e.kind !== 'fifo' && e.kind !== 'socket' && e.kind !== 'chardev' && e.kind !== 'blockdev') return undefined;
  const word = e.kind === 'fifo' || e.kind === 'socket' ? e.kind : 'device';
  return new JvsError('E_UNSUPPORTED_FILE', `E_UNSUPPORTED_FILE: unsupported file type (${word}): ${e.path.toString()}`);
}
