/**
 * The implemented commands, by path, loaded only when run: `jvs --version` and help never load
 * a command module. A command of the catalogue that is not listed here is unknown to the parser.
 */
import type { CommandClass } from 'clipanion';

import type { JvsContext } from '../base.js';
import { ROOT } from '../catalogue.js';
import { pruneTree, type CommandSpec } from '../spec.js';

export const COMMANDS: Readonly<Record<string, () => Promise<{ default: CommandClass<JvsContext> }>>> = {
  init: () => import('./init.js'),
  info: () => import('./info.js'),
  completion: () => import('./completion.js'),
  status: () => import('./status.js'),
  snapshot: () => import('./snapshot.js'),
  history: () => import('./history.js'),
  diff: () => import('./diff.js'),
  ls: () => import('./ls.js'),
  cat: () => import('./cat.js'),
  restore: () => import('./restore.js'),
  'worktree create': () => import('./worktree-create.js'),
  'worktree list': () => import('./worktree-list.js'),
  'worktree path': () => import('./worktree-path.js'),
  'worktree rename': () => import('./worktree-rename.js'),
  'worktree remove': () => import('./worktree-remove.js'),
  'worktree fork': () => import('./worktree-fork.js'),
  verify: () => import('./verify.js'),
  doctor: () => import('./doctor.js'),
  'gc plan': () => import('./gc-plan.js'),
  'gc run': () => import('./gc-run.js'),
  'pin add': () => import('./pin-add.js'),
  'pin list': () => import('./pin-list.js'),
  'pin remove': () => import('./pin-remove.js'),
  'config show': () => import('./config-show.js'),
  'config get': () => import('./config-get.js'),
  'config set': () => import('./config-set.js'),
};

/**
 * Commands app.ts answers itself, like `--version` and `--help`: they start as fast as those,
 * without clipanion or a command module.
 */
export const BUILTIN_COMMANDS: readonly string[] = ['version', 'help'];

/** The command tree as the user sees it: the catalogue cut down to the implemented commands. */
export function commandTree(): CommandSpec {
  return pruneTree(ROOT, (key) => Object.hasOwn(COMMANDS, key) || BUILTIN_COMMANDS.includes(key))!;
}
