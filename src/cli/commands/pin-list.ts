/** `jvs pin list` (CONTRACT §2.16): every valid pin; invalid pin files are warnings. */
import { nowNs } from '../../encoding/timestamp.js';
import { isPinActive, pinJson } from '../../formats/pin.js';
import { Repository } from '../../repo/repository.js';
import { JvsCommand } from '../base.js';
import { formatDate } from '../format.js';

export default class PinListCommand extends JvsCommand {
  async execute(): Promise<void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const pins = await repo.pinList();
    if (this.out.json) return this.out.printJson(pins.map(pinJson));
    if (pins.length === 0) return this.out.lines('No pins.');
    const now = nowNs();
    this.out.lines(
      ...pins.map((p) => {
        let line = `${p.snapshot_id}  pinned ${formatDate(p.pinned_at)}`;
        if (p.expires_at !== undefined) line += `  expires ${formatDate(p.expires_at)}`;
        if (!isPinActive(p, now)) line += '  (expired)';
        if (p.reason) line += `  ${p.reason}`;
        return line;
      }),
    );
  }
}
