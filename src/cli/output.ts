/**
 * Where a command's output goes (CONTRACT §1.2–§1.5): results on stdout (text or Go-encoded
 * JSON), `warning:` and `debug:` lines and progress bars on stderr, colors per stream.
 */
import { encodeJsonOutput, type JsonValue } from '../encoding/json.js';
import type { Globals } from './argv.js';
import { colorEnabled, palette, type Palette } from './color.js';
import { NO_PROGRESS, ProgressBar, progressEnabled, type ProgressReporter } from './progress.js';

/** A writable stream as far as output needs it (process.stdout and process.stderr fit). */
export interface OutStream {
  /** Strings are written as UTF-8; byte arrays as they are. False when the stream is full. */
  write(s: string | Uint8Array): unknown;
  /** Waits for `drain` after a full write (process.stdout has it). */
  once?(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * A line of text that may hold raw bytes: file names are byte strings and are printed as they
 * are, as Go prints them (never re-encoded, invalid UTF-8 included).
 */
export type TextLine = string | Uint8Array;

export interface Streams {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
}

export class Output {
  /** Styles for stdout text. */
  readonly color: Palette;
  /** Styles for stderr text. */
  readonly errColor: Palette;

  constructor(
    readonly globals: Globals,
    private readonly streams: Streams,
  ) {
    const settings = { noColor: globals.noColor, env: streams.env };
    this.color = palette(colorEnabled(streams.stdout, settings));
    this.errColor = palette(colorEnabled(streams.stderr, settings));
  }

  get json(): boolean {
    return this.globals.json;
  }

  /** Writes text to stdout as is (callers end their lines). */
  print(text: TextLine): void {
    this.streams.stdout.write(text);
  }

  /** Writes each line to stdout followed by a newline. */
  lines(...lines: TextLine[]): void {
    if (lines.every((l) => typeof l === 'string')) {
      this.streams.stdout.write(lines.map((l) => `${l}\n`).join(''));
      return;
    }
    const nl = Buffer.from('\n');
    this.streams.stdout.write(Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l) : l, nl])));
  }

  /**
   * Copies a byte stream to stdout unchanged (`jvs cat`), waiting whenever stdout is full so
   * that a large file never piles up in memory.
   */
  async pipe(source: AsyncIterable<Uint8Array>): Promise<void> {
    const stdout = this.streams.stdout;
    for await (const chunk of source) {
      if (stdout.write(chunk) === false && stdout.once) await new Promise<void>((resolve) => stdout.once!('drain', resolve));
    }
  }

  /**
   * Writes a result as Go's json.Encoder with indent would (§1.3). Library results are typed as
   * interfaces, which TypeScript does not see as index signatures; by contract they hold only
   * JSON values.
   */
  printJson(value: object | null): void {
    this.streams.stdout.write(encodeJsonOutput(value as JsonValue));
  }

  /** `note: <message>` on stderr, e.g. `note: completed interrupted restore to <ID>` (§5.3). */
  readonly note = (message: string): void => {
    this.streams.stderr.write(`note: ${message}\n`);
  };

  /** `warning: <message>` on stderr (also in JSON mode, before any error object). */
  readonly warn = (message: string): void => {
    this.streams.stderr.write(`warning: ${message}\n`);
  };

  /** `debug: <message>` on stderr, only with `--debug`. */
  debug(message: string): void {
    if (!this.globals.debug) return;
    this.streams.stderr.write(
      message
        .split('\n')
        .map((l) => `debug: ${l}\n`)
        .join(''),
    );
  }

  /** Writes raw text to stderr (errors, the lines of a lookup block). */
  stderr(text: string): void {
    this.streams.stderr.write(text);
  }

  /** A progress bar on stderr, or a reporter that draws nothing when bars are off (§1.2). */
  progress(): ProgressReporter {
    return progressEnabled(this.streams.stderr, { json: this.globals.json, noProgress: this.globals.noProgress })
      ? new ProgressBar(this.streams.stderr)
      : NO_PROGRESS;
  }
}
