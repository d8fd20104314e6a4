/** `jvs help [command]`: the same text as `jvs <command> --help`. */
import { Option } from 'clipanion';

import { findCommand } from '../argv.js';
import { JvsCommand } from '../base.js';
import { renderHelp } from '../help.js';
import { commandTree } from './index.js';

export default class HelpCommand extends JvsCommand {
  words = Option.Rest({ name: 'command' });

  async execute(): Promise<void> {
    const { spec, path } = findCommand(this.words, commandTree());
    this.out.print(renderHelp(spec, path));
  }
}
