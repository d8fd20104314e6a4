/**
 * Printing a failure (CONTRACT §1.5, D3) and choosing the exit status (§1.6: 2 for E_USAGE,
 * else 1). Text mode keeps v8.2's three shapes; JSON mode leaves stdout empty and ends stderr
 * with one compact `{"error":{"code","message","hint"}}` line.
 */
import { encodeJson } from '../encoding/json.js';
import { isJvsError, JvsError } from '../errors.js';
import { usageHint } from './argv.js';
import type { Output } from './output.js';

/** Anything thrown that is not a JvsError is an unexpected failure: class E_IO, its message. */
export function toJvsError(e: unknown): JvsError {
  if (isJvsError(e)) return e;
  return new JvsError('E_IO', e instanceof Error ? e.message : String(e), { cause: e });
}

/** The stack of the error and of its causes, for `--debug`. */
function stacks(e: unknown): string[] {
  const out: string[] = [];
  for (let c: unknown = e; c instanceof Error && out.length < 8; c = c.cause) out.push(c.stack ?? `${c.name}: ${c.message}`);
  return out;
}

function exitStatus(err: JvsError): number {
  return err.code === 'E_USAGE' ? 2 : 1;
}

/** The compact `{"error":{…}}` line on stderr (JSON mode). */
function writeJsonError(err: JvsError, out: Output, path: readonly string[]): void {
  const hint = err.hint !== '' || err.code !== 'E_USAGE' ? err.hint : usageHint(path);
  out.stderr(`${encodeJson({ error: { code: err.code, message: err.jsonMessage, hint } }, { pretty: false })}\n`);
}

/**
 * The failure of a report that found problems (`verify`, unhealthy `doctor`, §1.5), after the
 * command printed its document: JSON mode adds the error object on stderr, text mode prints
 * nothing more (no `jvs:` line). Returns the exit status.
 */
export function renderReportFailure(err: JvsError, out: Output): number {
  if (out.json) writeJsonError(err, out, []);
  return exitStatus(err);
}

/**
 * Prints `e` for the command at `path` (its `--help` is the hint of usage errors) and returns the
 * exit status.
 */
export function renderError(e: unknown, out: Output, path: readonly string[]): number {
  const err = toJvsError(e);
  for (const s of stacks(e)) out.debug(s);
  const status = exitStatus(err);
  if (out.json) {
    writeJsonError(err, out, path);
    return status;
  }
  const c = out.errColor;
  switch (err.shape) {
    case 'usage':
      out.stderr([err.message, ...err.blockLines].map((l) => `${l}\n`).join(''));
      break;
    case 'block':
      out.stderr([c.error(err.message), ...err.blockLines].map((l) => `${l}\n`).join(''));
      break;
    case 'line':
      out.stderr(`${c.error('jvs:')} ${err.message}\n`);
      break;
  }
  // Guidance of the detached-state refusals goes to stdout in text mode (§1.5).
  if (err.stdout !== undefined) out.print(err.stdout.endsWith('\n') ? err.stdout : `${err.stdout}\n`);
  return status;
}
