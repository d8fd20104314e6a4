/** `jvs version` (CONTRACT §2.12); `jvs --version` is answered by app.ts without loading this. */
import { JvsCommand } from '../base.js';
import { printVersion } from '../version.js';

export default class VersionCommand extends JvsCommand {
  async execute(): Promise<void> {
    printVersion(this.out);
  }
}
