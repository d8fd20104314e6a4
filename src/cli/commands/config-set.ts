/** `jvs config set <key> <value>` (CONTRACT §2.11); audited as `config_set`. */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class ConfigSetCommand extends JvsCommand {
  key = Option.String({ name: 'key' });
  value = Option.String({ name: 'value' });

  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const r = await repo.configSet(this.key, this.value);
    // `Set <key> = <value>`, plain text even with --json (§2.11).
    this.out.print(r.text);
  }
}
