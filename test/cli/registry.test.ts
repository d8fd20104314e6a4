// Every registered command matches its catalogue entry: clipanion accepts the canonical command
// line with every flag of the catalogue set and the most positionals the rule allows, and binds
// each flag's value.
import { Cli, Option } from 'clipanion';
import { describe, expect, it } from 'vitest';

import type { FlagValue, Invocation } from '../../src/cli/argv.js';
import { canonicalArgv, flag, JvsCommand, type JvsContext } from '../../src/cli/base.js';
import { ROOT } from '../../src/cli/catalogue.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { nodeAt, type ArgRule, type FlagSpec } from '../../src/cli/spec.js';

const sample = (f: FlagSpec): FlagValue => ({ bool: true, string: '-s=1', int: -7, list: ['-a', 'b,c'] })[f.kind];

function mostArgs(rule: ArgRule): number {
  if ('exactly' in rule) return rule.exactly;
  if ('atMost' in rule) return rule.atMost;
  if ('between' in rule) return rule.between[1];
  if ('ignoredAfter' in rule) return rule.ignoredAfter;
  return 2;
}

describe('registered commands', () => {
  for (const [key, load] of Object.entries(COMMANDS)) {
    it(`jvs ${key} binds its catalogue flags and positionals`, async () => {
      const spec = nodeAt(ROOT, key.split(' '));
      expect(spec?.children, key).toBeUndefined();
      const flags = new Map((spec!.flags ?? []).map((f) => [f.name, sample(f)] as const));
      const inv: Invocation = {
        path: key.split(' '),
        spec: spec!,
        globals: { json: false, debug: false, noProgress: false, noColor: false, version: false },
        help: false,
        flags,
        positionals: Array.from({ length: mostArgs(spec!.args!) }, (_, i) => `-p${i}`),
        dashAt: -1,
      };
      const cli = new Cli<JvsContext>({ binaryName: 'jvs' });
      cli.register((await load()).default);
      const command = cli.process(canonicalArgv(inv, inv.positionals), { out: undefined as never, invocation: inv }) as unknown as Record<
        string,
        unknown
      >;
      const values = Object.values(command);
      for (const [name, value] of flags) expect(values, `--${name}`).toContainEqual(value);
      for (const p of inv.positionals) expect(JSON.stringify(values), p).toContain(`"${p}"`);
    });
  }
});

describe('flag helpers', () => {
  // Flags of several catalogue commands, one of each kind, bound by a throw-away command.
  class Probe extends JvsCommand {
    limit = flag.int('history', 'limit');
    all = flag.bool('history', 'all');
    grep = flag.string('history', 'grep');
    tag = flag.list('snapshot', 'tag');
    rest = Option.Rest();
    async execute(): Promise<void> {}
  }

  const bind = (flags: Array<[string, FlagValue]>, positionals: string[] = []): Probe => {
    const inv = { flags: new Map(flags) } as Invocation;
    const cli = new Cli<JvsContext>({ binaryName: 'jvs' });
    cli.register(Probe);
    return cli.process(canonicalArgv(inv, positionals), { out: undefined as never, invocation: inv }) as Probe;
  };

  it('bind canonical values of every kind, values starting with `-` included', () => {
    const p = bind(
      [
        ['limit', -5],
        ['all', true],
        ['grep', '--x=y'],
        ['tag', ['-a', '', 'b=c']],
      ],
      ['-p', '--'],
    );
    expect([p.limit, p.all, p.grep, p.tag, p.rest]).toEqual([-5, true, '--x=y', ['-a', '', 'b=c'], ['-p', '--']]);
  });

  it('leave unset flags at their defaults', () => {
    const p = bind([['all', false]]);
    expect([p.limit, p.all, p.grep, p.tag, p.rest]).toEqual([undefined, false, undefined, [], []]);
  });

  it('refuse a flag the catalogue does not give that command', () => {
    expect(() => flag.int('init', 'limit')).toThrow('catalogue: "jvs init" has no int flag --limit');
    expect(() => flag.string('history', 'limit')).toThrow('catalogue: "jvs history" has no string flag --limit');
  });
});
