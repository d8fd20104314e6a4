import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { emptyConfig, encodeConfig, loadConfig, parseConfig, saveConfig, type JvsConfig } from '../../src/config/config.js';
import { DEFAULT_KEEP_MIN_AGE_NS, effectiveRetention } from '../../src/config/retention.js';
import { JvsError } from '../../src/errors.js';
import { RepoLayout } from '../../src/repo/layout.js';

const HOUR = 3_600_000_000_000n;
const cfg = (over: Partial<JvsConfig>): JvsConfig => ({ ...emptyConfig(), ...over });

describe('parseConfig: what yaml.v3 decodes (cases checked against gopkg.in/yaml.v3)', () => {
  it.each<[string, Partial<JvsConfig>]>([
    [
      'default_engine: copy\ndefault_tags:\n  - a\n  - b\nprogress_enabled: true\nretention:\n  keep: 5\n  within: 7d\n  keep_tags: [x, "y"]\n',
      { default_engine: 'copy', default_tags: ['a', 'b'], progress_enabled: true, retention: { keep: 5, within: '7d', keep_tags: ['x', 'y'] } },
    ],
    ['default_tags: ["auto","dev"]\nprogress_enabled: yes\n', { default_tags: ['auto', 'dev'], progress_enabled: true }],
    ['progress_enabled: "yes"\n', { progress_enabled: true }],
    ['progress_enabled: True\n', { progress_enabled: true }],
    ['progress_enabled: off\n', { progress_enabled: false }],
    ['retention: {keep: 3, within: 1h}\n', { retention: { keep: 3, within: '1h', keep_tags: [] } }],
    ['retention:\n  keep: 0x10\n', { retention: { keep: 16, within: '', keep_tags: [] } }],
    ['retention:\n  keep: 1.0\n', { retention: { keep: 1, within: '', keep_tags: [] } }],
    ['retention:\n  keep: 1_000\n', { retention: { keep: 1000, within: '', keep_tags: [] } }],
    ['retention:\n  keep: -3\n', { retention: { keep: -3, within: '', keep_tags: [] } }],
    ['retention:\n  within: 5\n', { retention: { keep: 0, within: '5', keep_tags: [] } }],
    ['retention: {}\n', { retention: { keep: 0, within: '', keep_tags: [] } }],
    ['default_engine: 123\noutput_format: true\n', { default_engine: '123', output_format: 'true' }],
    ['default_tags:\n- a\n- null\n- 5\n- ~\n', { default_tags: ['a', '5'] }],
    ['default_tags:\n  - ""\n  - \'\'\n', { default_tags: ['', ''] }],
    ['default_tags: []\n', { default_tags: [] }],
    ['default_tags:\n', {}],
    ['retention:\n', {}],
    ['default_engine: ~\nretention: ~\n', {}],
    ['foo: bar\nbaz: [1,2]\n', {}],
    ['', {}],
    ['# only a comment\n', {}],
    ["default_engine: 'it''s'\n", { default_engine: "it's" }],
    ['default_engine: "a\\tb\\u00e9"\n', { default_engine: 'a\tbé' }],
    ['default_engine: copy # comment\n', { default_engine: 'copy' }],
    ['default_engine: copy#nocomment\n', { default_engine: 'copy#nocomment' }],
    ['---\ndefault_engine: copy\n...\n', { default_engine: 'copy' }],
    ['default_tags: [a,\n  b]\n', { default_tags: ['a', 'b'] }],
    ['default_engine:   spaced   \n', { default_engine: 'spaced' }],
  ])('%j', (text, expected) => {
    expect(parseConfig(text)).toEqual(cfg(expected));
  });

  it.each([
    ['progress_enabled: "true"\n', 'yaml: line 1: cannot unmarshal !!str `true` into bool'],
    ['progress_enabled: maybe\n', 'yaml: line 1: cannot unmarshal !!str `maybe` into bool'],
    ['progress_enabled: 1\n', 'yaml: line 1: cannot unmarshal !!int `1` into bool'],
    ['retention:\n  keep: abc\n', 'yaml: line 2: cannot unmarshal !!str `abc` into int'],
    ['retention:\n  keep: 99999999999999999999\n', 'yaml: line 2: cannot unmarshal !!float `9999999...` into int'],
    ['retention:\n  keep: 1.5\n', 'yaml: line 2: cannot unmarshal !!float `1.5` into int'],
    ['retention: 7d\n', 'yaml: line 1: cannot unmarshal !!str `7d` into retention'],
    ['default_engine: [a]\n', 'yaml: line 1: cannot unmarshal !!seq into string'],
    ['default_tags: a\n', 'yaml: line 1: cannot unmarshal !!str `a` into []string'],
    ['default_tags: [a, [b]]\n', 'yaml: line 1: cannot unmarshal !!seq into string'],
    ['- a\n- b\n', 'yaml: line 1: cannot unmarshal !!seq into config'],
    ['just a string\n', 'yaml: line 1: cannot unmarshal !!str `just a ...` into config'],
    ['a: b: c\n', 'yaml: line 1: mapping values are not allowed in this context'],
    ['default_engine: copy\ndefault_engine: auto\n', 'yaml: line 2: mapping key "default_engine" already defined at line 1'],
    ['\tdefault_engine: copy\n', 'yaml: line 1: found character that cannot start any token'],
    ['retention:\n    keep: 5\n  within: 1h\n', 'yaml: line 3: did not find expected key'],
  ])('%j → %s', (text, message) => {
    expect(() => parseConfig(text)).toThrowError(message);
  });
});

describe('encodeConfig', () => {
  it('writes keys in §3.10 order, yaml.v3 block style, within in Go syntax', () => {
    const c = cfg({
      retention: { keep: 5, within: '7d', keep_tags: ['release', 'true'] },
      progress_enabled: false,
      output_format: 'json',
      default_tags: ['a', 'my tag', 'yes'],
      default_engine: 'reflink-copy',
    });
    expect(encodeConfig(c)).toBe(
      [
        'default_engine: reflink-copy',
        'default_tags:',
        '    - a',
        '    - my tag',
        '    - "yes"',
        'output_format: json',
        'progress_enabled: false',
        'retention:',
        '    keep: 5',
        '    within: 168h0m0s',
        '    keep_tags:',
        '        - release',
        '        - "true"',
        '',
      ].join('\n'),
    );
  });

  it('leaves unset values out; an empty config is {}', () => {
    expect(encodeConfig(emptyConfig())).toBe('{}\n');
    expect(encodeConfig(cfg({ default_tags: [], retention: { keep: 0, within: '', keep_tags: [] } }))).toBe('retention: {}\n');
    expect(encodeConfig(cfg({ retention: { keep: 0, within: '0', keep_tags: [] } }))).toBe('retention:\n    within: 0s\n');
  });

  it('keeps a within that is no duration as written (gc plan reports it)', () => {
    expect(encodeConfig(cfg({ retention: { keep: 0, within: 'banana', keep_tags: [] } }))).toBe('retention:\n    within: banana\n');
  });

  it('round-trips', () => {
    const samples: JvsConfig[] = [
      cfg({ default_engine: 'copy', default_tags: ['a', '', ' x ', '1', 'null', 'é', 'a: b', '#c', 'line\nbreak'], progress_enabled: true }),
      cfg({ output_format: 'text', retention: { keep: 7, within: '1h30m0s', keep_tags: ['v1', 'v2'] } }),
      cfg({ progress_enabled: false }),
      emptyConfig(),
    ];
    for (const c of samples) expect(parseConfig(encodeConfig(c))).toEqual(c);
  });
});

describe('loadConfig / saveConfig', () => {
  let tmp: string;
  let layout: RepoLayout;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'jvs-config-'));
    layout = new RepoLayout(tmp);
    await mkdir(layout.jvs);
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('a missing file is the empty config', async () => {
    expect(await loadConfig(layout)).toEqual(emptyConfig());
  });

  it('saves atomically with mode 0600 and loads back', async () => {
    const c = cfg({ default_engine: 'copy', default_tags: ['x'], retention: { keep: 2, within: '1w', keep_tags: [] } });
    await saveConfig(layout, c);
    expect((await stat(layout.configYaml)).mode & 0o777).toBe(0o600);
    expect(await readFile(layout.configYaml, 'utf8')).toBe('default_engine: copy\ndefault_tags:\n    - x\nretention:\n    keep: 2\n    within: 168h0m0s\n');
    expect(await loadConfig(layout)).toEqual({ ...c, retention: { keep: 2, within: '168h0m0s', keep_tags: [] } });
    expect((await readdir(layout.jvs)).filter((n) => n.startsWith('.jvs-tmp-'))).toEqual([]);
  });

  it('invalid YAML → E_IO load config: <err>', async () => {
    await writeFile(layout.configYaml, 'progress_enabled: maybe\n');
    await expect(loadConfig(layout)).rejects.toMatchObject({
      code: 'E_IO',
      message: 'load config: yaml: line 1: cannot unmarshal !!str `maybe` into bool',
    });
  });

  it('unreadable → E_IO with Go-style error text', async () => {
    await mkdir(layout.configYaml);
    await expect(loadConfig(layout)).rejects.toMatchObject({ code: 'E_IO', message: `load config: read ${layout.configYaml}: is a directory` });
  });

  it('refuses invalid values on save with the §2.11 messages (E_USAGE), writing nothing', async () => {
    const err = await saveConfig(layout, cfg({ default_engine: 'fast' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JvsError);
    expect(err).toMatchObject({
      code: 'E_USAGE',
      message: 'save config: invalid config: invalid default_engine: fast (must be juicefs-clone, reflink-copy, copy, or auto)',
    });
    await expect(saveConfig(layout, cfg({ output_format: 'xml' }))).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'save config: invalid config: invalid output_format: xml (must be text or json)',
    });
    await expect(stat(layout.configYaml)).rejects.toThrow();
  });
});

describe('effectiveRetention (§7 step 3)', () => {
  it('defaults: keep 0, 24 h, no tags', () => {
    expect(effectiveRetention(emptyConfig())).toEqual({ keep_min_snapshots: 0, keep_min_age: DEFAULT_KEEP_MIN_AGE_NS, keep_tags: [] });
    expect(effectiveRetention(cfg({ retention: { keep: 0, within: '', keep_tags: [] } })).keep_min_age).toBe(24n * HOUR);
  });

  it('takes the config, our units included', () => {
    expect(effectiveRetention(cfg({ retention: { keep: 3, within: '7d', keep_tags: ['rel'] } }))).toEqual({
      keep_min_snapshots: 3,
      keep_min_age: 168n * HOUR,
      keep_tags: ['rel'],
    });
    expect(effectiveRetention(cfg({ retention: { keep: 0, within: '0', keep_tags: [] } })).keep_min_age).toBe(0n);
  });

  it('flags win field by field; --keep-within 0 disables; an empty --keep-tag list overrides', () => {
    const c = cfg({ retention: { keep: 3, within: '7d', keep_tags: ['rel'] } });
    expect(effectiveRetention(c, { keepLast: 1 })).toEqual({ keep_min_snapshots: 1, keep_min_age: 168n * HOUR, keep_tags: ['rel'] });
    expect(effectiveRetention(c, { keepWithin: 0n }).keep_min_age).toBe(0n);
    expect(effectiveRetention(c, { keepTags: ['a', 'b'] }).keep_tags).toEqual(['a', 'b']);
    expect(effectiveRetention(c, { keepTags: [] }).keep_tags).toEqual([]);
  });

  it('bad config values fail here (E_IO), unless a flag replaces them', () => {
    const bad = cfg({ retention: { keep: -1, within: '7x', keep_tags: [] } });
    const thrown = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(thrown(() => effectiveRetention(bad, { keepLast: 2 }))).toMatchObject({
      code: 'E_IO',
      message: 'load config: invalid retention.within: time: unknown unit "x" in duration "7x"',
    });
    expect(thrown(() => effectiveRetention(bad, { keepWithin: HOUR }))).toMatchObject({
      code: 'E_IO',
      message: 'load config: invalid retention.keep: -1 (must be 0 or more)',
    });
    expect(effectiveRetention(bad, { keepLast: 2, keepWithin: HOUR })).toMatchObject({ keep_min_snapshots: 2, keep_min_age: HOUR });
  });
});
