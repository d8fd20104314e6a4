/**
 * Progress bars on stderr (CONTRACT §1.2): drawn only when stderr is a TTY and neither `--json`
 * nor `--no-progress` was given — never into pipes or files. Redrawn in place with a carriage
 * return and cleared when the work ends, so what stays on the terminal is the command's output.
 */
import type { Progress } from '../native/types.js';

export interface ProgressSettings {
  json: boolean;
  noProgress: boolean;
}

export function progressEnabled(stderr: { isTTY?: boolean }, s: ProgressSettings): boolean {
  return !s.json && !s.noProgress && stderr.isTTY === true;
}

/** What a bar needs of its stream: process.stderr fits. */
export interface ProgressStream {
  write(s: string): unknown;
  columns?: number;
}

/** `=` for the done part and spaces for the rest, `width` characters (gc's bar is 30). */
export function bar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done * width) / total)) : 0;
  return '='.repeat(filled) + ' '.repeat(width - filled);
}

export const percent = (done: number, total: number): number => (total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0);

const PHASES: Record<Progress['phase'], string> = { walk: 'Scanning', hash: 'Hashing', clone: 'Copying', probe: 'Probing' };

function size(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** One line for a core progress event: bytes when they are known, else entries. */
export function formatProgress(p: Progress): string {
  const byBytes = p.bytesTotal > 0;
  const [done, total] = byBytes ? [p.bytesDone, p.bytesTotal] : [p.entriesDone, p.entriesTotal];
  const amount = byBytes ? `${size(p.bytesDone)}/${size(p.bytesTotal)}` : `${p.entriesDone}/${p.entriesTotal}`;
  return `${PHASES[p.phase]} [${bar(done, total)}] ${amount} (${percent(done, total)}%)`;
}

export interface ProgressReporter {
  /** Redraws the bar from a core progress event (pass as `onProgress`). */
  readonly update: (p: Progress) => void;
  /** Redraws with any text (commands with their own format, such as gc). */
  draw(line: string): void;
  /** Clears the bar; prints `line` and a newline in its place when given. */
  done(line?: string): void;
}

/** A bar drawn on `stream`. */
export class ProgressBar implements ProgressReporter {
  private drawn = false;

  constructor(private readonly stream: ProgressStream) {}

  readonly update = (p: Progress): void => this.draw(formatProgress(p));

  draw(line: string): void {
    // A line longer than the terminal wraps, and `\r` would then redraw only its last part.
    const width = this.stream.columns;
    const text = width !== undefined && width > 1 && line.length >= width ? line.slice(0, width - 1) : line;
    this.stream.write(`\r${text}\x1b[K`);
    this.drawn = true;
  }

  done(line?: string): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
    if (line !== undefined) this.stream.write(`${line}\n`);
  }
}

/** The reporter used when no bar may be drawn. */
export const NO_PROGRESS: ProgressReporter = { update: () => undefined, draw: () => undefined, done: () => undefined };
