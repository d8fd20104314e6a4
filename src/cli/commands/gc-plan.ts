/** `jvs gc plan [--keep-last N] [--keep-within DURATION] [--keep-tag T]...` (CONTRACT §2.10, §7). */
import type { RetentionFlags } from '../../config/retention.js';
import { gcPlanJson } from '../../formats/gc-plan.js';
import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';
import { durationFlag } from '../duration.js';

export default class GcPlanCommand extends JvsCommand {
  keepLast = flag.int('gc plan', 'keep-last');
  keepWithin = flag.string('gc plan', 'keep-within');
  keepTag = flag.list('gc plan', 'keep-tag');

  async execute(): Promise<void> {
    const flags: RetentionFlags = {};
    if (this.keepLast !== undefined) flags.keepLast = this.keepLast;
    if (this.keepWithin !== undefined) flags.keepWithin = durationFlag('keep-within', this.keepWithin);
    // `--keep-tag ""` is an empty list that still overrides the config's retention.keep_tags.
    if (this.context.invocation.flags.has('keep-tag')) flags.keepTags = this.keepTag;
    const repo = await Repository.open(undefined, this.repoOptions());
    const plan = await repo.gcPlan(flags);
    if (this.out.json) return this.out.printJson(gcPlanJson(plan) as object);
    this.out.lines(
      `GC Plan: ${plan.plan_id}`,
      `  Protected by lineage: ${plan.protected_by_lineage} snapshots`,
      `  Protected by pin: ${plan.protected_by_pin} snapshots`,
      `  To delete: ${plan.candidate_count} snapshots`,
      `  Estimated reclaim: ~${Math.floor(plan.deletable_bytes_estimate / 1048576)} MB`,
      '',
      `Run: jvs gc run --plan-id ${plan.plan_id}`,
    );
  }
}
