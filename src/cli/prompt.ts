/**
 * Answers to interactive prompts: one line reader over stdin for the whole command, so answers
 * piped in together are all seen (a reader per prompt would lose what the first one buffered).
 */
import { createInterface, type Interface } from 'node:readline';

export class LineReader {
  private readonly rl: Interface;
  private readonly lines: AsyncIterator<string>;

  constructor(input: NodeJS.ReadableStream) {
    this.rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
    // Created at once: lines read before the first `next()` are buffered, not dropped.
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  /** The next line without its end, or undefined at end of input. */
  async next(): Promise<string | undefined> {
    const r = await this.lines.next();
    return r.done === true ? undefined : r.value;
  }

  close(): void {
    this.rl.close();
  }
}

/** `y` or `yes`, case-insensitive, surrounding blanks ignored. */
export function isYes(answer: string | undefined): boolean {
  const a = answer?.trim().toLowerCase();
  return a === 'y' || a === 'yes';
}
