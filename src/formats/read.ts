/**
 * Reading one of our JSON format files with the error shapes commands print: a missing file is
 * E_NOT_FOUND, an unreadable one E_IO (Go's `open <path>: <strerror>`), and content that does
 * not parse is reported by the format's own `corrupt` error.
 */
import { readFile } from 'node:fs/promises';

import { JvsError } from '../errors.js';
import { goPathError } from '../fs/go-errors.js';

export async function readFormatFile<T>(path: string, parse: (text: string) => T, corrupt: (detail: string, cause: unknown) => JvsError): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO';
    throw new JvsError(code, goPathError('open', path, e), { cause: e });
  }
  try {
    return parse(text);
  } catch (e) {
    throw corrupt(e instanceof Error ? e.message : String(e), e);
  }
}
