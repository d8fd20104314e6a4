/** `jvs verify [<snapshot-id>] [--all] [--quick]` (CONTRACT §2.8): repo-scoped report. */
import { Option } from 'clipanion';

import { renderVerifyAll, renderVerifySnapshot, verifyError } from '../../integrity/index.js';
import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';
import { bar, percent } from '../progress.js';

export default class VerifyCommand extends JvsCommand {
  id = Option.String({ name: 'snapshot-id', required: false });
  all = flag.bool('verify', 'all');
  quick = flag.bool('verify', 'quick');

  async execute(): Promise<number> {
    const repo = await Repository.open(undefined, this.repoOptions());
    const c = this.out.color;
    if (this.id !== undefined && !this.all) {
      // A raw id: no ref resolution.
      const result = await repo.verify(this.id, { quick: this.quick });
      if (this.out.json) this.out.printJson(result);
      else this.out.lines(...renderVerifySnapshot(result, this.quick, c));
      return this.report(verifyError(result));
    }
    const progress = this.out.progress();
    const report = await repo.verifyAll({
      quick: this.quick,
      onProgress: ({ done, total }) => progress.draw(`Verifying [${bar(done, total)}] ${done}/${total} (${percent(done, total)}%)`),
    });
    progress.done();
    if (this.out.json) this.out.printJson(report.results);
    else this.out.lines(...renderVerifyAll(report, c));
    return this.report(verifyError(report));
  }
}
