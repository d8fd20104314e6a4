// Help (§1.1): `-h/--help` on every command, `jvs help <command>`, bare `jvs` and bare groups on
// stdout with exit 0. Registered commands run through the built CLI; the whole catalogue
// (commands whose implementation comes later, groups) runs in-process through the same app.
import { describe, expect, it } from 'vitest';

import { run } from '../../src/cli/app.js';
import { ROOT } from '../../src/cli/catalogue.js';
import { commandTree } from '../../src/cli/commands/index.js';
import { commandPath, walkTree, type CommandSpec } from '../../src/cli/spec.js';
import { jvs } from './run.js';

/** Runs the app in-process over `tree`, capturing both streams. */
async function runIn(tree: CommandSpec, argv: string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  let stdout = '';
  let stderr = '';
  const status = await run(
    argv,
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {} },
    tree,
  );
  return { stdout, stderr, status };
}

/** What every help text holds: description, usage line, flags, examples. */
function expectHelpFor(text: string, spec: CommandSpec, path: readonly string[]): void {
  expect(text.startsWith(`${spec.description}\n`), commandPath(path)).toBe(true);
  expect(text).toContain(`Usage:\n  ${commandPath(path)}`);
  expect(text).toContain('-h, --help');
  expect(text).toContain('--json');
  for (const f of spec.flags ?? []) expect(text).toContain(`--${f.name}`);
  for (const e of spec.examples ?? []) expect(text).toContain(`  ${e.command}\n`);
  const listed = text.split('\n').map((l) => l.trim().split(/ {3,}/));
  for (const c of spec.children ?? []) expect(listed).toContainEqual([c.name, c.summary]);
}

describe('the catalogue', () => {
  it('gives every command and group a description, a summary and examples', () => {
    for (const { spec, path } of walkTree(ROOT)) {
      expect(spec.description.length, commandPath(path)).toBeGreaterThan(20);
      expect(spec.summary.length).toBeGreaterThan(5);
      expect(spec.examples?.length ?? 0, commandPath(path)).toBeGreaterThan(0);
      if (spec.children === undefined) expect(spec.args, commandPath(path)).toBeDefined();
    }
  });

  it('has help for every command, group and alias, in-process', async () => {
    for (const { spec, path } of walkTree(ROOT)) {
      for (const flag of ['--help', '-h']) {
        const r = await runIn(ROOT, [...path, flag]);
        expect(r.status, `${commandPath(path)} ${flag}`).toBe(0);
        expect(r.stderr).toBe('');
        expectHelpFor(r.stdout, spec, path);
      }
    }
  });

  it('prints a bare group’s help (also through its alias); an unknown word after it is an error', async () => {
    for (const group of [['worktree'], ['wt'], ['gc'], ['config'], ['pin']]) {
      const r = await runIn(ROOT, group);
      expect(r.status, group[0]).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('Commands:\n');
    }
    expect((await runIn(ROOT, ['wt'])).stdout).toContain('Aliases:\n  worktree, wt\n');
    expect(await runIn(ROOT, ['wt', 'bogus'])).toEqual({ stdout: '', stderr: 'unknown command "bogus" for "jvs worktree"\n', status: 2 });
    expect(await runIn(ROOT, ['--json', 'pin', 'bogus'])).toEqual({
      stdout: '',
      stderr: '{"error":{"code":"E_USAGE","message":"unknown command \\"bogus\\" for \\"jvs pin\\"","hint":"See \'jvs pin --help\'."}}\n',
      status: 2,
    });
  });

  it('renders the usage errors of commands still to come', async () => {
    expect(await runIn(ROOT, ['history', '-n', 'x'])).toEqual({
      stdout: '',
      stderr: 'invalid argument "x" for "-n, --limit" flag: strconv.ParseInt: parsing "x": invalid syntax\n',
      status: 2,
    });
    expect((await runIn(ROOT, ['snapshot', 'a', 'b'])).stderr).toBe('accepts at most 1 arg(s), received 2\n');
    expect((await runIn(ROOT, ['worktree', 'rename', 'a'])).stderr).toBe('accepts 2 arg(s), received 1\n');
    expect((await runIn(ROOT, ['histry'])).stderr).toBe('unknown command "histry" for "jvs"\n\nDid you mean this?\n\thistory\n\n');
    // diff's own message is a `jvs:` line, still a usage error.
    expect(await runIn(ROOT, ['diff', 'a', 'b', 'c'])).toEqual({ stdout: '', stderr: 'jvs: too many arguments\n', status: 2 });
    expect((await runIn(ROOT, ['diff', 'a', 'b', 'c', '--json'])).stderr).toBe(
      '{"error":{"code":"E_USAGE","message":"too many arguments","hint":"See \'jvs diff --help\'."}}\n',
    );
  });
});

describe('help of the built CLI', () => {
  const registered = [...walkTree(commandTree())];

  it('bare `jvs` prints the root help listing only the commands that exist', () => {
    const r = jvs([]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expectHelpFor(r.stdout, commandTree(), []);
    const missing = ROOT.children!.filter((c) => !commandTree().children!.some((d) => d.name === c.name));
    for (const c of missing) expect(r.stdout).not.toMatch(new RegExp(`^  ${c.name} `, 'm'));
  });

  it('-h, --help and `jvs help` on every registered command', () => {
    for (const { spec, path } of registered) {
      const help = jvs([...path, '--help']);
      expect(help.status, commandPath(path)).toBe(0);
      expect(help.stderr).toBe('');
      expectHelpFor(help.stdout, spec, path);
      expect(jvs(['-h', ...path]).stdout).toBe(help.stdout);
      // Help wins over arguments and other flags, including --json.
      if (spec.children === undefined) expect(jvs([...path, 'x', 'y', '--json', '-h']).stdout).toBe(help.stdout);
      if (path.length > 0) expect(jvs(['help', ...path]).stdout).toBe(help.stdout);
    }
  });

  it('`jvs help` of an unknown command is the unknown-command error', () => {
    expect(jvs(['help', 'nope'])).toEqual({ stdout: '', stderr: 'unknown command "nope" for "jvs"\n', status: 2 });
  });
});
