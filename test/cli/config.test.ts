// `jvs config show|get|set` (§2.11) through the built CLI.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { auditEvents } from '../gc/support.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh repository made by `jvs init`; returns its root. */
function repo(): string {
  const dir = mkdtempSync(join(tmp, 's-'));
  expect(jvs(['init', 'demo'], { cwd: dir }).status).toBe(0);
  return join(dir, 'demo');
}

const showText = (root: string, body: string): string => `# JVS Configuration\n# Location: ${root}/.jvs/config.yaml\n\n${body}`;
const UNSET = 'default_engine: (not set)\ndefault_tags: (not set)\noutput_format: (not set)\nprogress_enabled: (auto-detect)\n';

describe('jvs config show', () => {
  it('without a config file: (not set) lines; JSON with Go field names and nulls', () => {
    const root = repo();
    expect(jvs(['config', 'show'], { cwd: join(root, 'main') })).toEqual({ stdout: showText(root, UNSET), stderr: '', status: 0 });
    const j = jvs(['config', 'show', '--json'], { cwd: join(root, '.jvs') });
    expect(j).toEqual({
      stdout: '{\n  "DefaultEngine": "",\n  "DefaultTags": null,\n  "OutputFormat": "",\n  "ProgressEnabled": null,\n  "Retention": null\n}\n',
      stderr: '',
      status: 0,
    });
    // Extra arguments are ignored (§2.13); global flags anywhere.
    expect(jvs(['config', 'show', 'x', 'y'], { cwd: root }).stdout).toBe(showText(root, UNSET));
    expect(jvs(['config', '--json', 'show'], { cwd: root }).stdout).toBe(j.stdout);
    expect(jvs(['--json', 'config', 'show'], { cwd: root }).stdout).toBe(j.stdout);
  });

  it('shows every value; Retention as {Keep, Within}', () => {
    const root = repo();
    writeFileSync(
      join(root, '.jvs/config.yaml'),
      'default_engine: copy\ndefault_tags: [a, b]\noutput_format: json\nprogress_enabled: true\nretention: {keep: 3, within: 36h, keep_tags: [rel]}\n',
    );
    expect(jvs(['config', 'show'], { cwd: root }).stdout).toBe(
      showText(root, 'default_engine: copy\ndefault_tags:\n  - a\n  - b\noutput_format: json\nprogress_enabled: true\n'),
    );
    expect(jvs(['config', 'show', '--json'], { cwd: root }).stdout).toBe(
      '{\n  "DefaultEngine": "copy",\n  "DefaultTags": [\n    "a",\n    "b"\n  ],\n  "OutputFormat": "json",\n  "ProgressEnabled": true,\n' +
        '  "Retention": {\n    "Keep": 3,\n    "Within": "36h"\n  }\n}\n',
    );
  });

  it('outside a repository: the not-a-repository block', () => {
    expect(jvs(['config', 'show'], { cwd: mkdtempSync(join(tmp, 'n-')) })).toEqual({
      stdout: '',
      stderr: 'not a JVS repository (or any parent)\n  Run jvs init <name> to create a new repository.\n',
      status: 1,
    });
  });
});

describe('jvs config set / get', () => {
  it('sets each key (plain text, even with --json), audits config_set, and get reads it back', async () => {
    const root = repo();
    const set = (key: string, value: string, ...flags: string[]): void =>
      expect(jvs(['config', 'set', key, value, ...flags], { cwd: root })).toEqual({ stdout: `Set ${key} = ${value}\n`, stderr: '', status: 0 });
    set('default_engine', 'copy');
    set('default_tags', '["auto","dev"]', '--json');
    set('output_format', 'json');
    set('progress_enabled', 'false');
    expect(readFileSync(join(root, '.jvs/config.yaml'), 'utf8')).toBe(
      'default_engine: copy\ndefault_tags:\n    - auto\n    - dev\noutput_format: json\nprogress_enabled: false\n',
    );
    expect(statSync(join(root, '.jvs/config.yaml')).mode & 0o777).toBe(0o600);
    expect((await auditEvents(root, 'config_set')).map((e) => e.details)).toEqual([
      { key: 'default_engine', value: 'copy' },
      { key: 'default_tags', value: '["auto","dev"]' },
      { key: 'output_format', value: 'json' },
      { key: 'progress_enabled', value: 'false' },
    ]);
    const get = (key: string): string => jvs(['config', 'get', key], { cwd: join(root, 'main') }).stdout;
    expect(get('default_engine')).toBe('copy\n');
    expect(get('default_tags')).toBe('- auto\n- dev\n');
    expect(get('output_format')).toBe('json\n');
    expect(get('progress_enabled')).toBe('false\n');
    expect(jvs(['config', 'show'], { cwd: root }).stdout).toBe(
      showText(root, 'default_engine: copy\ndefault_tags:\n  - auto\n  - dev\noutput_format: json\nprogress_enabled: false\n'),
    );
  });

  it('get: (not set) and [] when unset; JSON {"key", "value"} with null', () => {
    const root = repo();
    expect(jvs(['config', 'get', 'default_engine'], { cwd: root })).toEqual({ stdout: 'default_engine (not set)\n', stderr: '', status: 0 });
    expect(jvs(['config', 'get', 'progress_enabled'], { cwd: root }).stdout).toBe('progress_enabled (not set)\n');
    expect(jvs(['config', 'get', 'default_tags'], { cwd: root }).stdout).toBe('[]\n');
    expect(jvs(['config', 'get', 'default_engine', '--json'], { cwd: root }).stdout).toBe('{\n  "key": "default_engine",\n  "value": null\n}\n');
    jvs(['config', 'set', 'default_tags', '[x]'], { cwd: root });
    jvs(['config', 'set', 'progress_enabled', 'true'], { cwd: root });
    expect(jvs(['--json', 'config', 'get', 'default_tags'], { cwd: root }).stdout).toBe('{\n  "key": "default_tags",\n  "value": [\n    "x"\n  ]\n}\n');
    expect(jvs(['config', 'get', '--json', 'progress_enabled'], { cwd: root }).stdout).toBe('{\n  "key": "progress_enabled",\n  "value": true\n}\n');
  });

  it('invalid values and unknown keys are E_USAGE (exit 2) and change nothing', () => {
    const root = repo();
    jvs(['config', 'set', 'default_engine', 'copy'], { cwd: root });
    const before = readFileSync(join(root, '.jvs/config.yaml'), 'utf8');
    const cases: Array<[string[], string]> = [
      [['set', 'progress_enabled', 'yes'], 'set config: invalid progress_enabled value: yes (must be true or false)'],
      [['set', 'default_engine', 'zfs'], 'save config: invalid config: invalid default_engine: zfs (must be juicefs-clone, reflink-copy, copy, or auto)'],
      [['set', 'output_format', 'yaml'], 'save config: invalid config: invalid output_format: yaml (must be text or json)'],
      [['set', 'colour', 'red'], 'set config: unknown config key: colour'],
      [['get', 'colour'], 'get config: unknown config key: colour'],
    ];
    for (const [args, message] of cases) {
      expect(jvs(['config', ...args], { cwd: root }), args.join(' ')).toEqual({ stdout: '', stderr: `jvs: ${message}\n`, status: 2 });
      const j = jvs(['config', ...args, '--json'], { cwd: root });
      expect(j.stdout).toBe('');
      expect(j.status).toBe(2);
      expect(jsonError(j)).toEqual({ code: 'E_USAGE', message, hint: `See 'jvs config ${args[0]} --help'.` });
    }
    expect(readFileSync(join(root, '.jvs/config.yaml'), 'utf8')).toBe(before);
  });

  it('argument counts: get exactly 1, set exactly 2', () => {
    const root = repo();
    expect(jvs(['config', 'get'], { cwd: root })).toEqual({ stdout: '', stderr: 'accepts 1 arg(s), received 0\n', status: 2 });
    expect(jvs(['config', 'get', 'a', 'b'], { cwd: root }).stderr).toBe('accepts 1 arg(s), received 2\n');
    expect(jvs(['config', 'set', 'default_engine'], { cwd: root })).toEqual({ stdout: '', stderr: 'accepts 2 arg(s), received 1\n', status: 2 });
    expect(jvs(['config', 'set', 'a', 'b', 'c'], { cwd: root }).stderr).toBe('accepts 2 arg(s), received 3\n');
    // A value starting with `-` after `--`.
    expect(jvs(['config', 'set', '--', 'default_tags', '- a'], { cwd: root }).stdout).toBe('Set default_tags = - a\n');
    expect(jvs(['config', 'get', 'default_tags'], { cwd: root }).stdout).toBe('- a\n');
    jvs(['config', 'set', 'default_tags', '[-x]'], { cwd: root });
    expect(jvs(['config', 'get', 'default_tags'], { cwd: root }).stdout).toBe('- "-x"\n');
  });
});
