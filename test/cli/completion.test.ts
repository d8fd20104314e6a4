// `jvs completion <shell>` (§2.12): scripts generated from the command tree; bash's is run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { COMPLETION_SHELLS, ROOT } from '../../src/cli/catalogue.js';
import { completionScript } from '../../src/cli/completion.js';
import { jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-completion-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** What bash's completion function offers for a command line (a trailing space = a new word). */
function bashComplete(script: string, line: string): string[] {
  const file = join(tmp, `c${Math.random().toString(36).slice(2)}.bash`);
  writeFileSync(file, script);
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source "$1"; read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _jvs; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      file,
      line,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('the built CLI', () => {
  it('prints a script for every shell', () => {
    for (const shell of COMPLETION_SHELLS) {
      const r = jvs(['completion', shell]);
      expect(r.status, shell).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('jvs');
      expect(r.stdout).toContain('completion');
      expect(r.stdout).toContain('no-progress');
    }
  });

  it('bash: completes the commands that exist, their flags and completion’s shells', () => {
    const script = jvs(['completion', 'bash']).stdout;
    expect(bashComplete(script, 'jvs i')).toEqual(['init', 'info']);
    // Every command of CONTRACT §1.1 is implemented, in the tree's order, with the `wt` alias.
    expect(bashComplete(script, 'jvs ')).toEqual([
      'init', 'info', 'status', 'snapshot', 'history', 'diff', 'restore', 'ls', 'cat', 'worktree', 'wt',
      'verify', 'doctor', 'gc', 'pin', 'config', 'completion', 'version', 'help',
    ]);
    expect(bashComplete(script, 'jvs wt ')).toEqual(['create', 'list', 'path', 'rename', 'remove', 'fork']);
    expect(bashComplete(script, 'jvs --json init --j')).toEqual(['--json']);
    expect(bashComplete(script, 'jvs completion ')).toEqual([...COMPLETION_SHELLS]);
    expect(bashComplete(script, 'jvs --no-color completion f')).toEqual(['fish']);
    expect(bashComplete(script, 'jvs version --')).toEqual(['--help', '--json', '--debug', '--no-progress', '--no-color', '--version']);
  });

  it.skipIf(!has('zsh'))('zsh: the script parses', () => {
    const r = spawnSync('zsh', ['-n'], { input: jvs(['completion', 'zsh']).stdout, encoding: 'utf8' });
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('fish'))('fish: the script parses', () => {
    // fish will not read a script from a spawned pipe ("Unable to read input file"): give it a file.
    const file = join(mkdtempSync(join(tmpdir(), 'jvs-fish-')), 'jvs.fish');
    writeFileSync(file, jvs(['completion', 'fish']).stdout);
    const r = spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // and a broken script is caught
    writeFileSync(file, 'function broken\n');
    expect(spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' }).status).not.toBe(0);
  });
});

describe('scripts for the whole catalogue', () => {
  const script = completionScript('bash', ROOT);

  it('bash: walks groups and aliases and skips flag values', () => {
    expect(bashComplete(script, 'jvs wt cr')).toEqual(['create']);
    expect(bashComplete(script, 'jvs gc ')).toEqual(['plan', 'run']);
    expect(bashComplete(script, 'jvs worktree remove -')).toEqual(expect.arrayContaining(['--force', '-f', '--help']));
    expect(bashComplete(script, 'jvs history -n 5 --a')).toEqual(['--all']);
    // `snapshot` here is the value of --tag, not the command.
    expect(bashComplete(script, 'jvs --tag snapshot hist')).toEqual(['history']);
    expect(bashComplete(script, 'jvs snapshot --tag x --')).toEqual(expect.arrayContaining(['--tag', '--paths', '--compress', '--file']));
  });

  it('bash: the script is valid shell', () => {
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
  });

  it('fish and PowerShell: every command and flag appears', () => {
    for (const shell of ['fish', 'powershell'] as const) {
      const s = completionScript(shell, ROOT);
      for (const word of ['worktree', 'wt', 'fork', 'keep-last', 'repair-list', 'powershell']) expect(s, `${shell} ${word}`).toContain(word);
    }
  });
});
