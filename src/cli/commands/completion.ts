/** `jvs completion bash|zsh|fish|powershell` (CONTRACT §2.12). */
import { Option } from 'clipanion';

import { usageError } from '../../errors.js';
import { goQuote } from '../../repo/names.js';
import { JvsCommand } from '../base.js';
import { COMPLETION_SHELLS } from '../catalogue.js';
import { completionScript, type Shell } from '../completion.js';
import { commandTree } from './index.js';

const isShell = (s: string): s is Shell => (COMPLETION_SHELLS as readonly string[]).includes(s);

export default class CompletionCommand extends JvsCommand {
  shell = Option.String({ name: 'shell' });

  async execute(): Promise<void> {
    if (!isShell(this.shell)) throw usageError(`invalid argument ${goQuote(this.shell)} for "jvs completion"`);
    this.out.print(completionScript(this.shell, commandTree()));
  }
}
