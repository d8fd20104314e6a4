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
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

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
  print(text: string): void {
    this.streams.stdout.write(text);
  }

  /** Writes each line to stdout followed by a newline. */
  lines(...lines: string[]): void {
    this.streams.stdout.write(lines.map((l) => `${l}\n`).join(''));
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
