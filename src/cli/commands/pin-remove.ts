/** `jvs pin remove <ref>` (CONTRACT §2.16): deletes every pin of the snapshot. */
import { Option } from 'clipanion';

import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';

export default class PinRemoveCommand extends JvsCommand {
  ref = Option.String({ name: 'ref' });

  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const r = await repo.pinRemove(this.ref);
    if (this.out.json) return this.out.printJson(r);
    this.out.lines(`Unpinned snapshot ${r.snapshot_id}`);
  }
}
