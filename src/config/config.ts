/**
 * `.jvs/config.yaml` (CONTRACT §3.10): the typed config, read with yaml.v3's decoding rules (so
 * a file v8.2 accepts means the same here), written atomically in yaml.v3's block style.
 */
import { readFile } from 'node:fs/promises';

import { formatGoDuration, parseDuration } from '../encoding/duration.js';
import {
  describeNode,
  encodeYaml,
  oldBool,
  parseYaml,
  resolveScalar,
  YamlError,
  type YamlMapOut,
  type YamlNode,
} from '../encoding/yaml.js';
import { JvsError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { errnoCode, goPathError } from '../fs/go-errors.js';
import type { RepoLayout } from '../repo/layout.js';

export interface RetentionConfig {
  /** `keep`: the N newest snapshots are retained; 0 when unset. */
  keep: number;
  /** `within`: a duration string as written ('' when unset); parsed where it is used. */
  within: string;
  /** `keep_tags` (ours; v8.2 ignores it): snapshots with these tags are retained. */
  keep_tags: string[];
}

/** Unset fields are '' / null, as Go's zero values; null vs [] of default_tags shows in `config show --json`. */
export interface JvsConfig {
  default_engine: string;
  default_tags: string[] | null;
  output_format: string;
  progress_enabled: boolean | null;
  retention: RetentionConfig | null;
}

export const ENGINE_VALUES = ['juicefs-clone', 'reflink-copy', 'copy', 'auto'] as const;
export const OUTPUT_FORMATS = ['text', 'json'] as const;

export function emptyConfig(): JvsConfig {
  return { default_engine: '', default_tags: null, output_format: '', progress_enabled: null, retention: null };
}

// ---- decoding (yaml.v3's rules for each Go field type) ----

function typeError(n: YamlNode, into: string): YamlError {
  return new YamlError(n.line, `cannot unmarshal ${describeNode(n)} into ${into}`);
}

const isNull = (n: YamlNode): boolean => n.kind === 'scalar' && resolveScalar(n).tag === '!!null';

/** Any scalar's text (`123`, `true` included); null → ''. */
function decodeString(n: YamlNode): string {
  if (n.kind !== 'scalar') throw typeError(n, 'string');
  return isNull(n) ? '' : n.value;
}

/** A sequence of scalars; null items are dropped as yaml.v3 drops them; null → null. */
export function decodeStrings(n: YamlNode): string[] | null {
  if (isNull(n)) return null;
  if (n.kind !== 'seq') throw typeError(n, '[]string');
  return n.items.filter((item) => !isNull(item)).map(decodeString);
}

/** `true`/`false` (three casings), or a YAML 1.1 word such as `yes`/`off`; null → null. */
function decodeBool(n: YamlNode): boolean | null {
  if (isNull(n)) return null;
  if (n.kind === 'scalar') {
    const r = resolveScalar(n);
    if (r.tag === '!!bool') return r.value;
    const old = oldBool(n.value);
    if (old !== undefined) return old;
  }
  throw typeError(n, 'bool');
}

const INT64_MAX = 2n ** 63n - 1n;

/** An int64 (also an integral float such as `1.0`); null → 0. */
function decodeInt(n: YamlNode): number {
  if (isNull(n)) return 0;
  if (n.kind === 'scalar') {
    const r = resolveScalar(n);
    if (r.tag === '!!int' && r.value >= -INT64_MAX - 1n && r.value <= INT64_MAX) return Number(r.value);
    if (r.tag === '!!float' && Number.isInteger(r.value) && Math.abs(r.value) < 2 ** 63) return r.value;
  }
  throw typeError(n, 'int');
}

/** A mapping's entries by key (unknown keys are the caller's to ignore); null → undefined. */
function decodeMap(n: YamlNode, into: string): Map<string, YamlNode> | undefined {
  if (isNull(n)) return undefined;
  if (n.kind !== 'map') throw typeError(n, into);
  return new Map(n.entries.map((e) => [e.key.value, e.value]));
}

function decodeRetention(n: YamlNode): RetentionConfig | null {
  const m = decodeMap(n, 'retention');
  if (!m) return null;
  const field = <T>(key: string, decode: (n: YamlNode) => T, zero: T): T => {
    const v = m.get(key);
    return v === undefined ? zero : decode(v);
  };
  return { keep: field('keep', decodeInt, 0), within: field('within', decodeString, ''), keep_tags: field('keep_tags', decodeStrings, null) ?? [] };
}

/** Parses config.yaml text. Throws YamlError (`yaml: line N: …`) for bad YAML or wrong types. */
export function parseConfig(text: string): JvsConfig {
  const cfg = emptyConfig();
  const doc = parseYaml(text);
  const m = doc && decodeMap(doc, 'config');
  if (!m) return cfg;
  for (const [key, v] of m) {
    switch (key) {
      case 'default_engine':
        cfg.default_engine = decodeString(v);
        break;
      case 'default_tags':
        cfg.default_tags = decodeStrings(v);
        break;
      case 'output_format':
        cfg.output_format = decodeString(v);
        break;
      case 'progress_enabled':
        cfg.progress_enabled = decodeBool(v);
        break;
      case 'retention':
        cfg.retention = decodeRetention(v);
        break;
      // Other keys: ignored, as v8.2 ignores them (and drops them on rewrite).
    }
  }
  return cfg;
}

// ---- encoding ----

/**
 * `within` in Go syntax, so v8.2 (which parses it with time.ParseDuration) reads what we
 * write: `7d` → `168h0m0s`. A value that is no duration at all is kept as written; gc plan
 * reports it.
 */
function goWithin(within: string): string {
  try {
    return formatGoDuration(parseDuration(within));
  } catch {
    return within;
  }
}

/** The file content: keys in §3.10 order, unset ones left out, `{}` when nothing is set. */
export function encodeConfig(cfg: JvsConfig): string {
  const r = cfg.retention;
  const out: YamlMapOut = {
    default_engine: cfg.default_engine || undefined,
    default_tags: cfg.default_tags?.length ? cfg.default_tags : undefined,
    output_format: cfg.output_format || undefined,
    progress_enabled: cfg.progress_enabled ?? undefined,
    retention: r
      ? {
          keep: r.keep || undefined,
          within: r.within ? goWithin(r.within) : undefined,
          keep_tags: r.keep_tags.length ? r.keep_tags : undefined,
        }
      : undefined,
  };
  return encodeYaml(out);
}

/** The first problem `config set` reports on save (§2.11), or undefined. */
export function configProblem(cfg: JvsConfig): string | undefined {
  if (cfg.default_engine && !(ENGINE_VALUES as readonly string[]).includes(cfg.default_engine)) {
    return `invalid default_engine: ${cfg.default_engine} (must be juicefs-clone, reflink-copy, copy, or auto)`;
  }
  if (cfg.output_format && !(OUTPUT_FORMATS as readonly string[]).includes(cfg.output_format)) {
    return `invalid output_format: ${cfg.output_format} (must be text or json)`;
  }
  return undefined;
}

// ---- files ----

/**
 * Loads `.jvs/config.yaml`; a missing file is the empty config. Errors are complete messages
 * for `jvs: <message>`: `load config: <err>` [E_IO] (§2.3 step 4).
 */
export async function loadConfig(layout: RepoLayout): Promise<JvsConfig> {
  const path = layout.configYaml;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return emptyConfig();
    throw new JvsError('E_IO', `load config: ${goPathError(errnoCode(e) === 'EISDIR' ? 'read' : 'open', path, e)}`, { cause: e });
  }
  try {
    return parseConfig(text);
  } catch (e) {
    throw new JvsError('E_IO', `load config: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Validates and writes the config atomically with mode 0600. Invalid values →
 * `save config: invalid config: <problem>` [E_USAGE]; write failures → `save config: <err>` [E_IO].
 */
export async function saveConfig(layout: RepoLayout, cfg: JvsConfig): Promise<void> {
  const problem = configProblem(cfg);
  if (problem) throw new JvsError('E_USAGE', `save config: invalid config: ${problem}`);
  try {
    await writeFileAtomic(layout.configYaml, encodeConfig(cfg), 0o600);
  } catch (e) {
    const { syscall = 'write', path = layout.configYaml } = e as NodeJS.ErrnoException;
    throw new JvsError('E_IO', `save config: ${goPathError(syscall, path, e)}`, { cause: e });
  }
}
