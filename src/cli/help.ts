/**
 * `--help` text (stdout, exit 0; wording free, CONTRACT §1.1), drawn from the catalogue in
 * cobra's layout. Help never loads a command module, so it is as fast as `--version`.
 */
import { commandPath, GLOBAL_FLAGS, HELP_FLAG, type CommandSpec, type FlagSpec } from './spec.js';

/** pflag's flag column: `-n, --limit N` or `    --json` (aligned with the shorthands). */
function flagColumn(f: FlagSpec): string {
  const short = f.short === undefined ? '    ' : `-${f.short}, `;
  return `${short}--${f.name}${f.value === undefined ? '' : ` ${f.value}`}`;
}

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}   ${b}`);
}

const flagTable = (flags: readonly FlagSpec[]): string[] => table(flags.map((f) => [flagColumn(f), f.usage]));

export function renderHelp(spec: CommandSpec, path: readonly string[]): string {
  const name = commandPath(path);
  const isGroup = spec.children !== undefined;
  const out: string[] = [spec.description, '', 'Usage:'];
  if (isGroup) out.push(`  ${name} <command>${path.length === 0 ? ' [flags]' : ''}`);
  else out.push(`  ${[name, spec.usage].filter(Boolean).join(' ')} [flags]`);
  if (spec.aliases !== undefined) out.push('', 'Aliases:', `  ${[spec.name, ...spec.aliases].join(', ')}`);
  if (isGroup) out.push('', 'Commands:', ...table((spec.children ?? []).map((c) => [c.name, c.summary])));
  out.push('', 'Flags:', ...flagTable([...(spec.flags ?? []), HELP_FLAG]));
  out.push('', 'Global Flags:', ...flagTable(GLOBAL_FLAGS));
  if (spec.examples !== undefined && spec.examples.length > 0) {
    out.push('', 'Examples:');
    for (const e of spec.examples) out.push(`  # ${e.comment}`, `  ${e.command}`);
  }
  if (isGroup) out.push('', `Use "${name} <command> --help" for more information about a command.`);
  return `${out.join('\n')}\n`;
}
