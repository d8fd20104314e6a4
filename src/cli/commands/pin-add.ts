/** `jvs pin add <ref> [--reason R] [--expires DURATION]` (CONTRACT §2.16). */
import { Option } from 'clipanion';

import { parseTimestamp } from '../../encoding/timestamp.js';
import { pinJson } from '../../formats/pin.js';
import type { PinAddOptions } from '../../pin/index.js';
import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';
import { durationFlag } from '../duration.js';

/** Go's time.RFC3339 form of a stored timestamp: no fractional seconds. */
function rfc3339(timestamp: string): string {
  return (parseTimestamp(timestamp)?.normalized ?? timestamp).replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '');
}

export default class PinAddCommand extends JvsCommand {
  ref = Option.String({ name: 'ref' });
  reason = flag.string('pin add', 'reason');
  expires = flag.string('pin add', 'expires');

  async execute(): Promise<void> {
    const opts: PinAddOptions = {};
    if (this.reason !== undefined) opts.reason = this.reason;
    if (this.expires !== undefined) opts.expires = durationFlag('expires', this.expires);
    const repo = await Repository.open(undefined, this.repoOptions());
    const pin = await repo.pinAdd(this.ref, opts);
    if (this.out.json) return this.out.printJson(pinJson(pin) as object);
    const until = pin.expires_at === undefined ? '' : ` until ${rfc3339(pin.expires_at)}`;
    this.out.lines(`Pinned snapshot ${pin.snapshot_id}${until}`);
  }
}
