/** Bounded parallelism for per-file work (zlib and fs calls run on libuv's thread pool). */

/** Files in flight at once: enough to keep libuv's 4 threads and the disk busy. */
const FILES_IN_FLIGHT = 8;

/**
 * Runs `work` over `items` with at most FILES_IN_FLIGHT calls pending. The first failure stops
 * new items from starting and is rethrown once the running calls have settled.
 */
export async function eachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILES_IN_FLIGHT, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
