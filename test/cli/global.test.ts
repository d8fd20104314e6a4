// Global behaviour of the built CLI (CONTRACT §1): usage errors, exit codes, JSON errors, global
// flags in every position, `--`, --debug, version.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { jsonError, jvs, type RunResult } from './run.js';

const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-global-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh empty directory under tmp. */
const scratch = (): string => mkdtempSync(join(tmp, 's-'));

/** A usage error in text mode: bare message on stderr, nothing on stdout, exit 2. */
function expectUsage(r: RunResult, stderr: string): void {
  expect(r.stderr).toBe(stderr);
  expect(r.stdout).toBe('');
  expect(r.status).toBe(2);
}

describe('usage errors (text mode)', () => {
  it('unknown command, with and without suggestions', () => {
    expectUsage(jvs(['foo']), 'unknown command "foo" for "jvs"\n');
    expectUsage(jvs(['inti']), 'unknown command "inti" for "jvs"\n\nDid you mean this?\n\tinfo\n\tinit\n\n');
    expectUsage(jvs(['vers']), 'unknown command "vers" for "jvs"\n\nDid you mean this?\n\tversion\n\n');
  });

  it('unknown flags', () => {
    expectUsage(jvs(['init', 'x', '--bogus']), 'unknown flag: --bogus\n');
    expectUsage(jvs(['--bogus']), 'unknown flag: --bogus\n');
    expectUsage(jvs(['version', '-q']), "unknown shorthand flag: 'q' in -q\n");
    expectUsage(jvs(['--json=maybe', 'version']), 'invalid argument "maybe" for "--json" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n');
  });

  it('argument counts', () => {
    expectUsage(jvs(['init']), 'accepts 1 arg(s), received 0\n');
    expectUsage(jvs(['init', 'a', 'b']), 'accepts 1 arg(s), received 2\n');
    expectUsage(jvs(['version', 'a', 'b']), 'accepts 0 arg(s), received 2\n');
    expectUsage(jvs(['completion']), 'accepts 1 arg(s), received 0\n');
  });

  it('completion with an unknown shell', () => {
    expectUsage(jvs(['completion', 'tcsh']), 'invalid argument "tcsh" for "jvs completion"\n');
  });
});

describe('JSON mode errors (D3)', () => {
  it('leave stdout empty and end stderr with the error object; usage hints name the command', () => {
    const cases: Array<[string[], string, string]> = [
      [['--json', 'foo'], 'unknown command "foo" for "jvs"', "See 'jvs --help'."],
      [['--json', 'inti'], 'unknown command "inti" for "jvs"', "See 'jvs --help'."],
      [['init', '--json'], 'accepts 1 arg(s), received 0', "See 'jvs init --help'."],
      [['init', 'x', '--bogus', '--json'], 'unknown flag: --bogus', "See 'jvs init --help'."],
      [['completion', 'tcsh', '--json'], 'invalid argument "tcsh" for "jvs completion"', "See 'jvs completion --help'."],
    ];
    for (const [args, message, hint] of cases) {
      const r = jvs(args);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.status).toBe(2);
      expect(jsonError(r)).toEqual({ code: 'E_USAGE', message, hint });
      // Compact, keys in order, one line.
      expect(r.stderr).toBe(`{"error":{"code":"E_USAGE","message":${JSON.stringify(message)},"hint":${JSON.stringify(hint)}}}\n`);
    }
  });

  it('escape strings as Go does', () => {
    const r = jvs(['--json', 'a<b>&']);
    expect(r.stderr).toBe('{"error":{"code":"E_USAGE","message":"unknown command \\"a\\u003cb\\u003e\\u0026\\" for \\"jvs\\"","hint":"See \'jvs --help\'."}}\n');
  });

  it('non-usage failures exit 1 with their class', () => {
    const r = jvs(['info', '--json'], { cwd: scratch() });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(jsonError(r)).toEqual({
      code: 'E_NOT_A_REPO',
      message: 'not a JVS repository (or any parent)',
      hint: 'Run jvs init <name> to create a new repository.',
    });
  });
});

describe('global flags', () => {
  it('are accepted before, after and between the subcommand’s arguments', () => {
    const dir = scratch();
    for (const [i, args] of [
      ['--json', 'init', 'a0'],
      ['init', '--json', 'a1'],
      ['init', 'a2', '--json'],
      ['--no-color', 'init', '--no-progress', 'a3', '--debug=false'],
    ].entries()) {
      const r = jvs(args, { cwd: dir });
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      if (i < 3) expect(JSON.parse(r.stdout)).toMatchObject({ repo_root: join(dir, `a${i}`) });
      else expect(r.stdout).toMatch(/^Initialized JVS repository in /);
    }
  });

  it('`--` ends flag parsing', () => {
    const dir = scratch();
    const r = jvs(['init', '--json', '--', '-x'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ repo_root: join(dir, '-x') });
    expect(readdirSync(join(dir, '-x', '.jvs'))).toContain('format_version');
    // After `--` a flag is an argument: one too many here.
    expectUsage(jvs(['init', 'y', '--', '--json'], { cwd: dir }), 'accepts 1 arg(s), received 2\n');
  });

  it('--version and version print the package version, also after a subcommand, which then does nothing', () => {
    const dir = scratch();
    for (const args of [['--version'], ['version'], ['init', 'x', '--version'], ['--version', 'info']]) {
      const r = jvs(args, { cwd: dir });
      expect(r, args.join(' ')).toEqual({ stdout: `jvs version ${VERSION}\n`, stderr: '', status: 0 });
    }
    expect(readdirSync(dir)).toEqual([]);
    for (const args of [['--version', '--json'], ['version', '--json']]) {
      expect(jvs(args)).toEqual({ stdout: `{\n  "version": "${VERSION}"\n}\n`, stderr: '', status: 0 });
    }
  });

  it('--debug adds only `debug:` lines on stderr and never changes stdout or the status', () => {
    const dir = scratch();
    const plain = jvs(['info'], { cwd: dir });
    const debug = jvs(['info', '--debug'], { cwd: dir });
    expect(plain.stderr).not.toMatch(/\bat /);
    expect(debug.status).toBe(plain.status);
    expect(debug.stdout).toBe(plain.stdout);
    const extra = debug.stderr.split('\n').filter((l) => !plain.stderr.split('\n').includes(l));
    expect(extra.length).toBeGreaterThan(0);
    for (const l of extra) expect(l).toMatch(/^debug: /);
    // In JSON mode the error object stays the last line.
    const j = jvs(['info', '--debug', '--json'], { cwd: dir });
    expect(jsonError(j).code).toBe('E_NOT_A_REPO');
  });
});

describe('exit statuses', () => {
  it('0 on success and help, 1 on failure, 2 on usage errors', () => {
    expect(jvs(['version']).status).toBe(0);
    expect(jvs([]).status).toBe(0);
    expect(jvs(['info'], { cwd: scratch() }).status).toBe(1);
    expect(jvs(['nope']).status).toBe(2);
  });
});
