import { throwIfCancelled } from './errors.js';

/**
 * Files in flight at once. Enough to keep libuv's thread pool and the disk queue busy on cold
 * I/O, while memory stays bounded (each worker owns one read buffer).
 */
export const FILES_IN_FLIGHT = 8;

/**
 * Runs work(item, worker) over items with at most `limit` calls pending, checking the signal
 * before each item. The first failure stops the other workers from taking new items and is
 * the one rethrown (after the calls already running have settled, so nothing is still writing
 * when the caller starts cleaning up).
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  work: (item: T, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const run = async (worker: number): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        throwIfCancelled(signal);
        await work(item, worker);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, (_, i) => run(i));
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
}
