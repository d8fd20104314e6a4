// The command-line parser against the whole catalogue (CONTRACT §1.1, §1.5, §2.13): commands
// whose implementation comes later are parsed here so that their flag syntax is pinned now.
import { describe, expect, it } from 'vitest';

import { checkArgs, parseArgv, scanGlobals, type Invocation } from '../../src/cli/argv.js';
import { ROOT } from '../../src/cli/catalogue.js';
import { parseGoBool, parseGoInt, readCsvRecord } from '../../src/cli/goparse.js';
import type { JvsError } from '../../src/errors.js';

const parse = (...argv: string[]): Invocation => parseArgv(argv, ROOT);

/** The usage error that parsing (and the argument check) of argv throws. */
function usage(...argv: string[]): JvsError {
  try {
    const inv = parse(...argv);
    checkArgs(inv);
  } catch (e) {
    return e as JvsError;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('commands', () => {
  it('finds commands, subcommands and aliases', () => {
    expect(parse('init', 'x').path).toEqual(['init']);
    expect(parse('worktree', 'create', 'x').path).toEqual(['worktree', 'create']);
    expect(parse('wt', 'create', 'x').path).toEqual(['worktree', 'create']);
    expect(parse('wt').path).toEqual(['worktree']);
    expect(parse().path).toEqual([]);
  });

  it('rejects an unknown command with cobra’s suggestions at the top level', () => {
    const e = usage('histry');
    expect(e.code).toBe('E_USAGE');
    expect(e.shape).toBe('usage');
    expect(e.message).toBe('unknown command "histry" for "jvs"');
    expect(e.blockLines).toEqual(['', 'Did you mean this?', '\thistory', '']);
    expect(e.hint).toBe("See 'jvs --help'.");
    // A prefix is suggested whatever its distance; several suggestions in tree order.
    expect(usage('work').blockLines).toEqual(['', 'Did you mean this?', '\tworktree', '']);
    // Within distance 2 counts too, however short the word.
    expect(usage('wo').blockLines).toEqual(['', 'Did you mean this?', '\tgc', '\tls', '\tworktree', '']);
    expect(usage('ver').blockLines).toEqual(['', 'Did you mean this?', '\tverify', '\tversion', '']);
    expect(usage('foo').blockLines).toEqual([]);
    expect(usage('foo').message).toBe('unknown command "foo" for "jvs"');
  });

  it('rejects an unknown word after a group, named by the canonical group path', () => {
    const e = usage('wt', 'bogus');
    expect(e.message).toBe('unknown command "bogus" for "jvs worktree"');
    expect(e.blockLines).toEqual([]);
    expect(e.hint).toBe("See 'jvs worktree --help'.");
    expect(usage('gc', 'plna').message).toBe('unknown command "plna" for "jvs gc"');
    // What follows `--` is no command either.
    expect(usage('--', 'init').message).toBe('unknown command "init" for "jvs"');
  });
});

describe('flags (pflag syntax)', () => {
  it('reads --flag value, --flag=value, -n 5, -n5, -n=5', () => {
    for (const argv of [
      ['history', '--limit', '5'],
      ['history', '--limit=5'],
      ['history', '-n', '5'],
      ['history', '-n5'],
      ['history', '-n=5'],
    ]) {
      expect(parse(...argv).flags.get('limit'), argv.join(' ')).toBe(5);
    }
  });

  it('takes the next token as the value even when it starts with a dash', () => {
    expect(parse('history', '-n', '-3').flags.get('limit')).toBe(-3);
    expect(parse('snapshot', '-F', '--json').flags.get('file')).toBe('--json');
    expect(parse('snapshot', '-F', '--json').globals.json).toBe(false);
  });

  it('reads booleans as --x and --x=true|false, and groups of short booleans', () => {
    expect(parse('verify', '--all').flags.get('all')).toBe(true);
    expect(parse('verify', '--all=false').flags.get('all')).toBe(false);
    expect(parse('verify', '--all=T').flags.get('all')).toBe(true);
    const inv = parse('restore', '-i', 'x');
    expect(inv.flags.get('interactive')).toBe(true);
    expect(parse('worktree', 'remove', '-fh', 'x').help).toBe(true);
  });

  it('reads repeatable slices as one CSV record per value', () => {
    expect(parse('snapshot', '--tag', 'a,b', '--tag', 'c').flags.get('tag')).toEqual(['a', 'b', 'c']);
    expect(parse('snapshot', '--tag', '').flags.get('tag')).toEqual([]);
    expect(parse('snapshot', '--tag', '"a,b",c').flags.get('tag')).toEqual(['a,b', 'c']);
    expect(parse('snapshot', '--tag', ',').flags.get('tag')).toEqual(['', '']);
    expect(parse('doctor', '--repair', 'clean_tmp,clean_intents').flags.get('repair')).toEqual(['clean_tmp', 'clean_intents']);
  });

  it('reports pflag’s errors', () => {
    expect(usage('init', 'x', '--bogus').message).toBe('unknown flag: --bogus');
    expect(usage('--bogus').message).toBe('unknown flag: --bogus');
    expect(usage('init', '-x').message).toBe("unknown shorthand flag: 'x' in -x");
    expect(usage('restore', '-ix', 'r').message).toBe("unknown shorthand flag: 'x' in -x");
    expect(usage('history', '--limit').message).toBe('flag needs an argument: --limit');
    expect(usage('history', '-n').message).toBe("flag needs an argument: 'n' in -n");
    expect(usage('history', '---x').message).toBe('bad flag syntax: ---x');
    const e = usage('history', '-n', 'x');
    expect(e.message).toBe('invalid argument "x" for "-n, --limit" flag: strconv.ParseInt: parsing "x": invalid syntax');
    expect(e.hint).toBe("See 'jvs history --help'.");
    expect(usage('gc', 'plan', '--keep-last', '1.5').message).toBe(
      'invalid argument "1.5" for "--keep-last" flag: strconv.ParseInt: parsing "1.5": invalid syntax',
    );
    expect(usage('--json=maybe').message).toBe('invalid argument "maybe" for "--json" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
    expect(usage('snapshot', '--tag', 'a"b').message).toBe(
      'invalid argument "a\\"b" for "--tag" flag: parse error on line 1, column 2: bare " in non-quoted-field',
    );
  });
});

describe('global flags', () => {
  it('are valid before, after and between positionals and after the subcommand', () => {
    for (const argv of [
      ['--json', 'init', 'x'],
      ['init', '--json', 'x'],
      ['init', 'x', '--json'],
      ['snapshot', '--json', 'note'],
      ['worktree', '--json', 'create', 'x'],
      ['--json', 'wt', 'create', 'x', '--from', 'y'],
    ]) {
      const inv = parse(...argv);
      expect(inv.globals.json, argv.join(' ')).toBe(true);
      expect(inv.positionals).toHaveLength(1);
    }
    const inv = parse('--debug', 'history', '--no-progress', '--no-color', '--version');
    expect(inv.globals).toEqual({ json: false, debug: true, noProgress: true, noColor: true, version: true });
  });

  it('end at `--`: what follows is positional, recorded with its position', () => {
    const inv = parse('worktree', 'create', '--', '-x');
    expect(inv.positionals).toEqual(['-x']);
    expect(inv.dashAt).toBe(0);
    const r = parse('restore', 'abc', '--json', '--', 'a', '--json');
    expect(r.positionals).toEqual(['abc', 'a', '--json']);
    expect(r.dashAt).toBe(1);
    expect(r.globals.json).toBe(true);
  });

  it('are guessed from raw argv when parsing fails', () => {
    expect(scanGlobals(['--bogus', '--json', '--no-color=true'])).toMatchObject({ json: true, noColor: true });
    expect(scanGlobals(['--', '--json']).json).toBe(false);
    expect(scanGlobals(['--json=nope']).json).toBe(false);
  });

  it('skip a flag’s value when looking for the command, as cobra does', () => {
    expect(parse('--tag', 'x', 'snapshot').path).toEqual(['snapshot']);
    expect(parse('-n', '3', 'history').flags.get('limit')).toBe(3);
  });
});

describe('argument counts (§2.13)', () => {
  it('exactly', () => {
    expect(usage('init').message).toBe('accepts 1 arg(s), received 0');
    expect(usage('init', 'a', 'b').message).toBe('accepts 1 arg(s), received 2');
    expect(usage('worktree', 'rename', 'a').message).toBe('accepts 2 arg(s), received 1');
    expect(usage('cat', 'a').message).toBe('accepts 2 arg(s), received 1');
    expect(usage('completion').message).toBe('accepts 1 arg(s), received 0');
    for (const zero of [['status'], ['version'], ['pin', 'list']]) {
      expect(usage(...zero, 'x', 'y').message).toBe('accepts 0 arg(s), received 2');
    }
  });

  it('at most, between, and diff’s own message', () => {
    expect(usage('snapshot', 'a', 'b').message).toBe('accepts at most 1 arg(s), received 2');
    expect(usage('worktree', 'fork', 'a', 'b', 'c').message).toBe('accepts at most 2 arg(s), received 3');
    expect(usage('ls').message).toBe('accepts between 1 and 2 arg(s), received 0');
    const e = usage('diff', 'a', 'b', 'c');
    expect([e.code, e.shape, e.message]).toEqual(['E_USAGE', 'line', 'too many arguments']);
  });

  it('ignores extras of v8.2’s unchecked commands', () => {
    for (const cmd of [['info'], ['history'], ['worktree', 'list'], ['doctor'], ['gc', 'plan'], ['gc', 'run'], ['config', 'show']]) {
      expect(checkArgs(parse(...cmd, 'x', 'y')), cmd.join(' ')).toEqual([]);
    }
  });

  it('counts only restore’s ref before `--`', () => {
    expect(checkArgs(parse('restore', 'r', '--', 'a', 'b'))).toEqual(['r', 'a', 'b']);
    expect(usage('restore', '--', 'a').message).toBe('accepts 1 arg(s), received 0');
    expect(usage('restore', 'a', 'b').message).toBe('accepts 1 arg(s), received 2');
  });
});

describe('Go value parsers', () => {
  it('strconv.ParseInt(s, 0, 64)', () => {
    expect(parseGoInt('42')).toBe(42);
    expect(parseGoInt('-0x1F')).toBe(-31);
    expect(parseGoInt('0o17')).toBe(15);
    expect(parseGoInt('017')).toBe(15);
    expect(parseGoInt('0b101')).toBe(5);
    expect(parseGoInt('1_000')).toBe(1000);
    expect(parseGoInt('0')).toBe(0);
    expect(parseGoInt('-9223372036854775808')).toBe(-9223372036854775808);
    for (const bad of ['', '-', 'x', '1_', '_1', '08', '1e3', ' 1', '0x']) {
      expect(() => parseGoInt(bad), bad).toThrow(`strconv.ParseInt: parsing ${JSON.stringify(bad)}: invalid syntax`);
    }
    expect(() => parseGoInt('9223372036854775808')).toThrow('strconv.ParseInt: parsing "9223372036854775808": value out of range');
  });

  it('strconv.ParseBool', () => {
    expect(['1', 't', 'T', 'TRUE', 'true', 'True'].map(parseGoBool)).toEqual(Array(6).fill(true));
    expect(['0', 'f', 'F', 'FALSE', 'false', 'False'].map(parseGoBool)).toEqual(Array(6).fill(false));
    expect(() => parseGoBool('yes')).toThrow('strconv.ParseBool: parsing "yes": invalid syntax');
  });

  it('one encoding/csv record', () => {
    expect(readCsvRecord('a,b')).toEqual(['a', 'b']);
    expect(readCsvRecord('"a ""q"" b",c')).toEqual(['a "q" b', 'c']);
    expect(readCsvRecord('"x\ny",z\nnext')).toEqual(['x\ny', 'z']);
    expect(readCsvRecord('\n\na')).toEqual(['a']);
    expect(() => readCsvRecord('"a')).toThrow('parse error on line 1, column 3: extraneous or missing " in quoted-field');
    expect(() => readCsvRecord('"a"b')).toThrow('parse error on line 1, column 3: extraneous or missing " in quoted-field');
  });
});
