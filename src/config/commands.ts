/**
 * `jvs config show|get|set` (CONTRACT §2.11) as library functions: each returns the data of
 * the JSON form and the exact text the command prints, so the CLI only chooses and writes.
 * Errors are JvsErrors whose message is the line after `jvs: `.
 */
import { parseYaml, quoteYamlScalar } from '../encoding/yaml.js';
import { JvsError } from '../errors.js';
import type { RepoLayout } from '../repo/layout.js';
import { decodeStrings, loadConfig, saveConfig, type JvsConfig } from './config.js';

/** The keys `get` and `set` accept. */
export const CONFIG_KEYS = ['default_engine', 'default_tags', 'output_format', 'progress_enabled'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}

/** `config show --json`: v8.2's Go field names; our `keep_tags` is not shown. */
export type ConfigShowJson = {
  DefaultEngine: string;
  DefaultTags: string[] | null;
  OutputFormat: string;
  ProgressEnabled: boolean | null;
  Retention: { Keep: number; Within: string } | null;
};

export interface ConfigShowResult {
  json: ConfigShowJson;
  /** The text form, every line `\n`-terminated. */
  text: string;
}

export async function configShow(layout: RepoLayout): Promise<ConfigShowResult> {
  const cfg = await loadConfig(layout);
  const notSet = (v: string): string => v || '(not set)';
  const tags = cfg.default_tags?.length ? `default_tags:\n${cfg.default_tags.map((t) => `  - ${t}\n`).join('')}` : 'default_tags: (not set)\n';
  const progress = cfg.progress_enabled === null ? '(auto-detect)' : String(cfg.progress_enabled);
  const text =
    `# JVS Configuration\n# Location: ${layout.configYaml}\n\n` +
    `default_engine: ${notSet(cfg.default_engine)}\n${tags}` +
    `output_format: ${notSet(cfg.output_format)}\nprogress_enabled: ${progress}\n`;
  const json: ConfigShowJson = {
    DefaultEngine: cfg.default_engine,
    DefaultTags: cfg.default_tags,
    OutputFormat: cfg.output_format,
    ProgressEnabled: cfg.progress_enabled,
    Retention: cfg.retention && { Keep: cfg.retention.keep, Within: cfg.retention.within },
  };
  return { json, text };
}

export interface ConfigGetResult {
  key: ConfigKey;
  /** The stored value; null when unset (an empty default_tags list counts as unset). */
  value: string | boolean | string[] | null;
  /** What `config get` prints, `\n`-terminated. */
  text: string;
}

/** `config get <key>`. Unknown key → `get config: unknown config key: <k>` [E_USAGE]. */
export async function configGet(layout: RepoLayout, key: string): Promise<ConfigGetResult> {
  if (!isConfigKey(key)) throw new JvsError('E_USAGE', `get config: unknown config key: ${key}`);
  const cfg = await loadConfig(layout);
  if (key === 'default_tags') {
    const tags = cfg.default_tags?.length ? cfg.default_tags : null;
    // A YAML block list, as yaml.Marshal prints a []string; `[]` when there is none.
    return { key, value: tags, text: tags ? tags.map((t) => `- ${quoteYamlScalar(t)}\n`).join('') : '[]\n' };
  }
  const value = key === 'progress_enabled' ? cfg.progress_enabled : cfg[key] || null;
  return { key, value, text: value === null ? `${key} (not set)\n` : `${String(value)}\n` };
}

export interface ConfigSetResult {
  key: ConfigKey;
  /** The value as given on the command line: also the audit `config_set` details `{key, value}`. */
  value: string;
  /** `Set <key> = <value>\n` (plain text even with --json). */
  text: string;
}

/** Applies one `config set` value to a config; throws the `set config: …` usage errors. */
function applySetting(cfg: JvsConfig, key: ConfigKey, value: string): void {
  switch (key) {
    case 'default_engine':
    case 'output_format':
      // Validated on save, with v8.2's `save config: invalid config: …` messages.
      cfg[key] = value;
      return;
    case 'progress_enabled':
      if (value !== 'true' && value !== 'false') {
        throw new JvsError('E_USAGE', `set config: invalid progress_enabled value: ${value} (must be true or false)`);
      }
      cfg.progress_enabled = value === 'true';
      return;
    case 'default_tags':
      try {
        const doc = parseYaml(value);
        cfg.default_tags = doc ? decodeStrings(doc) : null;
      } catch (e) {
        throw new JvsError('E_USAGE', `set config: invalid default_tags value: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
  }
}

/**
 * `config set <key> <value>`: loads, applies, validates and saves the config (atomic, 0600).
 * The caller appends the audit record `config_set {key, value}` after success.
 */
export async function configSet(layout: RepoLayout, key: string, value: string): Promise<ConfigSetResult> {
  if (!isConfigKey(key)) throw new JvsError('E_USAGE', `set config: unknown config key: ${key}`);
  const cfg = await loadConfig(layout);
  applySetting(cfg, key, value);
  await saveConfig(layout, cfg);
  return { key, value, text: `Set ${key} = ${value}\n` };
}
