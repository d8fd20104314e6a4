/** `jvs config show` (CONTRACT §2.11): `.jvs/config.yaml`, text or v8.2's Go field names. */
import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class ConfigShowCommand extends JvsCommand {
  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const r = await repo.configShow();
    if (this.out.json) return this.out.printJson(r.json);
    this.out.print(r.text);
  }
}
