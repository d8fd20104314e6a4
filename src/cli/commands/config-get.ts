/** `jvs config get <key>` (CONTRACT §2.11). */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class ConfigGetCommand extends JvsCommand {
  key = Option.String({ name: 'key' });

  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const r = await repo.configGet(this.key);
    // The contract gives no JSON form: ours is {"key", "value"}, value null when unset.
    if (this.out.json) return this.out.printJson({ key: r.key, value: r.value });
    this.out.print(r.text);
  }
}
