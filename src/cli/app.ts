/**
 * One run of the CLI: parse (argv.ts), answer help and the version from the catalogue, load only
 * the command that runs, hand it to clipanion, and print any failure (render-error.ts).
 */
import { packageVersion } from '../native/package-info.js';
import { checkArgs, findCommand, parseArgv, scanGlobals } from './argv.js';
import type { JvsContext } from './base.js';
import { renderHelp } from './help.js';
import { Output, type Streams } from './output.js';
import { renderError } from './render-error.js';
import { pathKey, type CommandSpec } from './spec.js';
import { commandTree, COMMANDS } from './commands/index.js';

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit status.
 * `tree` is the command tree the user sees (tests pass the whole catalogue to reach groups
 * whose commands are not implemented yet).
 */
export async function run(argv: readonly string[], streams: Streams, tree: CommandSpec = commandTree()): Promise<number> {
  // Until the command line parses, the global flags are guessed so that even a usage error
  // honours --json and --no-color.
  let out = new Output(scanGlobals(argv), streams);
  let path: readonly string[] = [];
  try {
    const inv = parseArgv(argv, tree);
    out = new Output(inv.globals, streams);
    path = inv.path;
    if (inv.help) return help(out, inv.spec, inv.path);
    if (inv.globals.version) return version(out);
    // Bare `jvs` and a bare group print their help (§1.1).
    if (inv.spec.children !== undefined) return help(out, inv.spec, inv.path);
    const positionals = checkArgs(inv);
    const key = pathKey(inv.path);
    if (key === 'version') return version(out);
    // `jvs help <command>` is `jvs <command> --help`.
    if (key === 'help') {
      const topic = findCommand(positionals, tree);
      return help(out, topic.spec, topic.path);
    }
    const load = COMMANDS[key];
    if (load === undefined) throw new Error(`no module for "jvs ${key}"`);
    const [{ default: commandClass }, { Cli }, { canonicalArgv }] = await Promise.all([load(), import('clipanion'), import('./base.js')]);
    const cli = new Cli<JvsContext>({ binaryName: 'jvs' });
    cli.register(commandClass);
    // Clipanion's own stdio defaults are process's; commands write through `out`.
    const command = cli.process(canonicalArgv(inv, positionals), { env: streams.env, out, invocation: inv });
    return await command.validateAndExecute();
  } catch (e) {
    return renderError(e, out, path);
  }
}

function help(out: Output, spec: CommandSpec, path: readonly string[]): number {
  out.print(renderHelp(spec, path));
  return 0;
}

/** `jvs version` and `jvs --version` (§2.12). */
function version(out: Output): number {
  if (out.json) out.printJson({ version: packageVersion });
  else out.lines(`jvs version ${packageVersion}`);
  return 0;
}
