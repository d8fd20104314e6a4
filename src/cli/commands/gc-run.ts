/** `jvs gc run --plan-id ID` (CONTRACT §2.10, §7): deletes a plan's snapshots, with a progress bar. */
import { JvsError } from '../../errors.js';
import { gcRunPreflight, type GcProgress } from '../../gc/index.js';
import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';
import { shortId } from '../format.js';
import { bar, NO_PROGRESS, percent } from '../progress.js';

/** `GC [<bar>] <i>/<n> (<pct>%)`, the part every line of gc's bar shares. */
function gcBar(done: number, total: number): string {
  // Nothing to delete is all done.
  return total === 0 ? `GC [${bar(1, 1)}] 0/0 (100%)` : `GC [${bar(done, total)}] ${done}/${total} (${percent(done, total)}%)`;
}

export default class GcRunCommand extends JvsCommand {
  planId = flag.string('gc run', 'plan-id');

  async execute(): Promise<void> {
    const planId = this.planId ?? '';
    if (planId === '') throw new JvsError('E_USAGE', '--plan-id is required');
    const progress = this.out.progress();
    const drawing = progress !== NO_PROGRESS;
    // A warning (an id that could not be deleted) clears the bar; the next id redraws it.
    const options = this.repoOptions();
    const repo = await Repository.open(undefined, {
      ...options,
      onWarning: (m) => {
        progress.done();
        this.out.warn(m);
      },
    });
    // With a bar, a missing plan is reported before anything is drawn, without `run gc: `.
    if (drawing) await gcRunPreflight(repo, planId);
    let total = 0;
    const onProgress = (p: GcProgress): void => {
      total = p.total;
      progress.draw(`${gcBar(p.current, p.total)} deleting ${shortId(p.snapshot_id)}`);
    };
    const result = await repo.gcRun(planId, { onProgress }).catch((e: unknown) => {
      progress.done();
      throw e;
    });
    progress.done(`${gcBar(total, total)} deleted ${result.deleted_count} snapshots`);
    if (!this.out.json) this.out.lines('GC completed successfully.');
  }
}
