/** `jvs version` and `jvs --version` (CONTRACT §2.12). */
import { packageVersion } from '../native/package-info.js';
import type { Output } from './output.js';

export function printVersion(out: Output): void {
  if (out.json) out.printJson({ version: packageVersion });
  else out.lines(`jvs version ${packageVersion}`);
}
