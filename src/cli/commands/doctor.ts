/** `jvs doctor [--strict] [--repair-runtime] [--repair ID]... [--repair-list]` (CONTRACT §2.9, §8). */
import { doctorError, renderFindings, renderRepairList, renderRepairs, repairActions } from '../../doctor/index.js';
import { Repository } from '../../repo/repository.js';
import { flag, JvsCommand } from '../base.js';

export default class DoctorCommand extends JvsCommand {
  strict = flag.bool('doctor', 'strict');
  repairRuntime = flag.bool('doctor', 'repair-runtime');
  repair = flag.list('doctor', 'repair');
  repairList = flag.bool('doctor', 'repair-list');

  async execute(): Promise<number | void> {
    const repo = await Repository.open(undefined, this.repoOptions());
    if (this.repairList) {
      const actions = repairActions();
      return this.out.json ? this.out.printJson(actions) : this.out.lines(...renderRepairList(actions));
    }
    const result = await repo.doctor({ strict: this.strict, repairRuntime: this.repairRuntime, repair: this.repair });
    if (this.out.json) this.out.printJson(result);
    else this.out.lines(...renderRepairs(result.repairs ?? []), ...renderFindings(result));
    return this.report(doctorError(result));
  }
}
