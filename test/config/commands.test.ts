import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { configGet, configSet, configShow } from '../../src/config/commands.js';
import { encodeJsonOutput } from '../../src/encoding/json.js';
import { RepoLayout } from '../../src/repo/layout.js';

let tmp: string;
let layout: RepoLayout;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-configcmd-'));
  layout = new RepoLayout(tmp);
  await mkdir(layout.jvs);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('config show', () => {
  it('empty config: (not set) lines and the Go-field-name JSON with nulls', async () => {
    const r = await configShow(layout);
    expect(r.text).toBe(
      `# JVS Configuration\n# Location: ${tmp}/.jvs/config.yaml\n\ndefault_engine: (not set)\ndefault_tags: (not set)\noutput_format: (not set)\nprogress_enabled: (auto-detect)\n`,
    );
    expect(encodeJsonOutput(r.json)).toBe(
      '{\n  "DefaultEngine": "",\n  "DefaultTags": null,\n  "OutputFormat": "",\n  "ProgressEnabled": null,\n  "Retention": null\n}\n',
    );
  });

  it('set values, tags as a 2-space list, Retention without our keep_tags', async () => {
    await writeFile(
      layout.configYaml,
      'default_engine: copy\ndefault_tags: [a, b]\noutput_format: json\nprogress_enabled: false\nretention: {keep: 2, within: 7d, keep_tags: [rel]}\n',
    );
    const r = await configShow(layout);
    expect(r.text.split('\n').slice(3)).toEqual([
      'default_engine: copy',
      'default_tags:',
      '  - a',
      '  - b',
      'output_format: json',
      'progress_enabled: false',
      '',
    ]);
    expect(r.json).toEqual({
      DefaultEngine: 'copy',
      DefaultTags: ['a', 'b'],
      OutputFormat: 'json',
      ProgressEnabled: false,
      Retention: { Keep: 2, Within: '7d' },
    });
  });

  it('an empty list is [] in JSON but (not set) in text', async () => {
    await writeFile(layout.configYaml, 'default_tags: []\n');
    const r = await configShow(layout);
    expect(r.json.DefaultTags).toEqual([]);
    expect(r.text).toContain('default_tags: (not set)\n');
  });

  it('invalid config → load config error', async () => {
    await writeFile(layout.configYaml, 'default_tags: a\n');
    await expect(configShow(layout)).rejects.toMatchObject({ code: 'E_IO', message: 'load config: yaml: line 1: cannot unmarshal !!str `a` into []string' });
  });
});

describe('config get', () => {
  it('unset keys', async () => {
    expect(await configGet(layout, 'default_engine')).toEqual({ key: 'default_engine', value: null, text: 'default_engine (not set)\n' });
    expect((await configGet(layout, 'output_format')).text).toBe('output_format (not set)\n');
    expect((await configGet(layout, 'progress_enabled')).text).toBe('progress_enabled (not set)\n');
    expect(await configGet(layout, 'default_tags')).toEqual({ key: 'default_tags', value: null, text: '[]\n' });
  });

  it('set keys; default_tags as a YAML block list', async () => {
    await writeFile(layout.configYaml, 'default_engine: auto\ndefault_tags: [a, "true", b c]\nprogress_enabled: true\n');
    expect((await configGet(layout, 'default_engine')).text).toBe('auto\n');
    expect(await configGet(layout, 'progress_enabled')).toEqual({ key: 'progress_enabled', value: true, text: 'true\n' });
    expect(await configGet(layout, 'default_tags')).toEqual({ key: 'default_tags', value: ['a', 'true', 'b c'], text: '- a\n- "true"\n- b c\n' });
  });

  it('unknown key → E_USAGE get config: unknown config key', async () => {
    await expect(configGet(layout, 'retention')).rejects.toMatchObject({ code: 'E_USAGE', message: 'get config: unknown config key: retention' });
  });
});

describe('config set', () => {
  it('sets each key, returns the text and audit data, writes 0600', async () => {
    expect(await configSet(layout, 'default_engine', 'copy')).toEqual({ key: 'default_engine', value: 'copy', text: 'Set default_engine = copy\n' });
    expect((await stat(layout.configYaml)).mode & 0o777).toBe(0o600);
    await configSet(layout, 'default_tags', '["auto","dev"]');
    await configSet(layout, 'progress_enabled', 'false');
    const r = await configSet(layout, 'output_format', 'json');
    expect(r.text).toBe('Set output_format = json\n');
    expect(await readFile(layout.configYaml, 'utf8')).toBe(
      'default_engine: copy\ndefault_tags:\n    - auto\n    - dev\noutput_format: json\nprogress_enabled: false\n',
    );
    expect((await configSet(layout, 'default_tags', '["auto","dev"]')).text).toBe('Set default_tags = ["auto","dev"]\n');
  });

  it('default_tags accepts block lists and clears with [] or an empty value', async () => {
    await configSet(layout, 'default_tags', '- x\n- y');
    expect((await configGet(layout, 'default_tags')).value).toEqual(['x', 'y']);
    await configSet(layout, 'default_tags', '[]');
    expect((await configShow(layout)).json.DefaultTags).toBeNull();
    await configSet(layout, 'default_tags', '[a]');
    await configSet(layout, 'default_tags', '');
    expect((await configGet(layout, 'default_tags')).text).toBe('[]\n');
  });

  it('keeps retention (within rewritten in Go syntax) and drops unknown keys, as v8.2 does', async () => {
    await writeFile(layout.configYaml, '# mine\nretention:\n  keep: 3\n  within: 2w\n  keep_tags: [rel]\nfuture_key: 1\n');
    await configSet(layout, 'progress_enabled', 'true');
    expect(await readFile(layout.configYaml, 'utf8')).toBe(
      'progress_enabled: true\nretention:\n    keep: 3\n    within: 336h0m0s\n    keep_tags:\n        - rel\n',
    );
  });

  it.each([
    ['progress_enabled', 'yes', 'set config: invalid progress_enabled value: yes (must be true or false)'],
    ['progress_enabled', 'True', 'set config: invalid progress_enabled value: True (must be true or false)'],
    ['default_engine', 'fast', 'save config: invalid config: invalid default_engine: fast (must be juicefs-clone, reflink-copy, copy, or auto)'],
    ['output_format', 'yaml', 'save config: invalid config: invalid output_format: yaml (must be text or json)'],
    ['default_tags', 'solo', 'set config: invalid default_tags value: yaml: line 1: cannot unmarshal !!str `solo` into []string'],
    ['default_tags', '[a', "set config: invalid default_tags value: yaml: line 1: did not find expected ',' or ']'"],
    ['retention', 'x', 'set config: unknown config key: retention'],
  ])('set %s %j → E_USAGE %s', async (key, value, message) => {
    await expect(configSet(layout, key, value)).rejects.toMatchObject({ code: 'E_USAGE', message });
    await expect(stat(layout.configYaml)).rejects.toThrow();
  });

  it('a broken file is reported before anything is written', async () => {
    await writeFile(layout.configYaml, 'a: b: c\n');
    await expect(configSet(layout, 'default_engine', 'copy')).rejects.toMatchObject({ code: 'E_IO', message: 'load config: yaml: line 1: mapping values are not allowed in this context' });
    expect(await readFile(layout.configYaml, 'utf8')).toBe('a: b: c\n');
  });
});
