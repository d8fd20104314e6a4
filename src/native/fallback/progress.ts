import type { Progress } from '../types.js';

/** The throttle interval of the interface contract ("at most every ~100 ms"). */
const INTERVAL_MS = 100;

/**
 * Counts work and forwards it to the caller's onProgress at most every INTERVAL_MS, plus one
 * final report. A throwing callback is the caller's bug; it is not allowed to abort the work.
 */
export class ProgressReporter {
  readonly state: Progress;
  private last = 0;

  constructor(
    private readonly callback: ((p: Progress) => void) | undefined,
    phase: Progress['phase'],
  ) {
    this.state = { phase, entriesDone: 0, entriesTotal: 0, bytesDone: 0, bytesTotal: 0 };
  }

  /**
   * Starts a new phase with known totals; the counters restart at zero. It is reported at once,
   * whatever the throttle: a display needs the new totals, and there are at most two per call.
   */
  phase(phase: Progress['phase'], entriesTotal: number, bytesTotal: number): void {
    Object.assign(this.state, { phase, entriesDone: 0, entriesTotal, bytesDone: 0, bytesTotal });
    this.finish();
  }

  /** Reports if the interval has passed since the last report. */
  tick(): void {
    if (this.callback === undefined) return;
    const now = Date.now();
    if (now - this.last < INTERVAL_MS) return;
    this.last = now;
    this.emit();
  }

  /** Reports now, regardless of the throttle (the final report, a phase change). */
  finish(): void {
    if (this.callback === undefined) return;
    this.last = Date.now();
    this.emit();
  }

  private emit(): void {
    try {
      this.callback?.({ ...this.state });
    } catch {
      // Progress is advisory: a failing display must not fail a snapshot.
    }
  }
}
