import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The package root: src/native/ (tsx, vitest) and dist/native/ (built) both sit two levels
 * below it.
 */
export const packageRoot: string = fileURLToPath(new URL('../../', import.meta.url));

/** The package version, which the native module's version must equal. */
export const packageVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
