/**
 * Snapshot descriptors `.jvs/descriptors/<ID>.json` (CONTRACT §3.5) and their checksum (§3.6).
 * The only module that reads or writes them.
 */

import { canonicalHash } from '../encoding/canonical.js';
import { encodeJson, type JsonValue } from '../encoding/json.js';
import { normalizeTimestamp } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readFormatFile } from './read.js';

export interface Compression {
  type: string;
  level: number;
}

export interface Descriptor {
  snapshot_id: string;
  /** Absent when there is no parent; readers accept null (kept as null so the checksum can tell). */
  parent_id?: string | null;
  worktree_name: string;
  created_at: string;
  note?: string;
  tags?: string[];
  engine: string;
  payload_root_hash: string;
  descriptor_checksum: string;
  integrity_state: string;
  partial_paths?: string[];
  compression?: Compression | null;
}

const STRING_FIELDS = [
  'snapshot_id',
  'worktree_name',
  'created_at',
  'note',
  'engine',
  'payload_root_hash',
  'descriptor_checksum',
  'integrity_state',
] as const;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function mismatch(field: string, v: unknown, want: string): Error {
  return new Error(`json: cannot unmarshal ${typeName(v)} into Go struct field Descriptor.${field} of type ${want}`);
}

function stringArray(field: string, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw mismatch(field, v, '[]string');
  return v.map((x) => {
    if (typeof x !== 'string') throw mismatch(field, x, 'string');
    return x;
  });
}

/**
 * Parses descriptor text the way Go's decoder would: unknown fields ignored, missing fields
 * zero, a value of the wrong type an error. Throws Error with Go-like text.
 */
export function parseDescriptor(text: string): Descriptor {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`json: cannot unmarshal ${typeName(raw)} into Go value of type model.Descriptor`);
  }
  const o = raw as Record<string, unknown>;
  const str: Record<string, string> = {};
  for (const f of STRING_FIELDS) {
    const v = o[f];
    if (v === undefined || v === null) str[f] = '';
    else if (typeof v !== 'string') throw mismatch(f, v, 'string');
    else str[f] = v;
  }
  const d: Descriptor = {
    snapshot_id: str['snapshot_id']!,
    worktree_name: str['worktree_name']!,
    created_at: str['created_at']!,
    engine: str['engine']!,
    payload_root_hash: str['payload_root_hash']!,
    descriptor_checksum: str['descriptor_checksum']!,
    integrity_state: str['integrity_state']!,
  };
  if (str['note']) d.note = str['note'];
  const parent = o['parent_id'];
  if (parent === null) d.parent_id = null;
  else if (typeof parent === 'string') d.parent_id = parent;
  else if (parent !== undefined) throw mismatch('parent_id', parent, '*string');
  const tags = stringArray('tags', o['tags']);
  if (tags) d.tags = tags;
  const partial = stringArray('partial_paths', o['partial_paths']);
  if (partial) d.partial_paths = partial;
  const comp = o['compression'];
  if (comp === null) d.compression = null;
  else if (comp !== undefined) {
    if (typeof comp !== 'object' || Array.isArray(comp)) throw mismatch('compression', comp, 'model.CompressionInfo');
    const c = comp as Record<string, unknown>;
    const type = c['type'] ?? '';
    const level = c['level'] ?? 0;
    if (typeof type !== 'string') throw mismatch('compression.type', type, 'string');
    if (typeof level !== 'number' || !Number.isInteger(level)) throw mismatch('compression.level', level, 'int');
    d.compression = { type, level };
  }
  return d;
}

/** The parent id, or undefined when there is none (absent, null). `""` counts as none too. */
export function parentOf(d: Descriptor): string | undefined {
  return typeof d.parent_id === 'string' && d.parent_id !== '' ? d.parent_id : undefined;
}

/** `descriptor_checksum` (§3.6): SHA-256 of the canonical JSON of the checksum object. */
export function computeChecksum(d: Descriptor): string {
  const obj: Record<string, JsonValue> = {
    snapshot_id: d.snapshot_id,
    worktree_name: d.worktree_name,
    created_at: normalizeTimestamp(d.created_at),
    engine: d.engine,
    payload_root_hash: d.payload_root_hash,
    descriptor_checksum: '',
    integrity_state: '',
  };
  if (typeof d.parent_id === 'string') obj['parent_id'] = d.parent_id;
  if (d.note) obj['note'] = d.note;
  if (d.tags && d.tags.length > 0) obj['tags'] = d.tags;
  if (d.partial_paths && d.partial_paths.length > 0) obj['partial_paths'] = d.partial_paths;
  if (d.compression) obj['compression'] = { level: d.compression.level, type: d.compression.type };
  return canonicalHash(obj);
}

/**
 * A descriptor as it is written and printed (`snapshot --json`, `history --json`): fields in
 * §3.5 order, empty optional fields (and a null parent) left out. In-memory descriptors keep
 * whatever order they were built or parsed in.
 */
export function descriptorObject(d: Descriptor): { readonly [key: string]: JsonValue | undefined } {
  return {
    snapshot_id: d.snapshot_id,
    parent_id: parentOf(d),
    worktree_name: d.worktree_name,
    created_at: d.created_at,
    note: d.note ? d.note : undefined,
    tags: d.tags && d.tags.length > 0 ? d.tags : undefined,
    engine: d.engine,
    payload_root_hash: d.payload_root_hash,
    descriptor_checksum: d.descriptor_checksum,
    integrity_state: d.integrity_state,
    partial_paths: d.partial_paths && d.partial_paths.length > 0 ? d.partial_paths : undefined,
    compression: d.compression ? { type: d.compression.type, level: d.compression.level } : undefined,
  };
}

/** The on-disk form: pretty, fields in §3.5 order, empty optional fields left out. */
export function encodeDescriptor(d: Descriptor): string {
  return encodeJson(descriptorObject(d), { pretty: true });
}

/** Fills in the checksum of a descriptor built in memory. */
export function sealDescriptor(d: Omit<Descriptor, 'descriptor_checksum'>): Descriptor {
  const full: Descriptor = { ...d, descriptor_checksum: '' };
  full.descriptor_checksum = computeChecksum(full);
  return full;
}

export async function writeDescriptor(path: string, d: Descriptor): Promise<void> {
  await writeFileAtomic(path, encodeDescriptor(d), 0o644);
}

/**
 * Reads and parses a descriptor. A missing file is E_NOT_FOUND; bad JSON or wrong types are
 * `E_DESCRIPTOR_CORRUPT: parse descriptor: <err>`.
 */
export function readDescriptor(path: string): Promise<Descriptor> {
  return readFormatFile(path, parseDescriptor, (detail, cause) => new JvsError('E_DESCRIPTOR_CORRUPT', `E_DESCRIPTOR_CORRUPT: parse descriptor: ${detail}`, { cause }));
}

/** Whether the stored checksum matches the recomputation. */
export function checksumValid(d: Descriptor): boolean {
  return d.descriptor_checksum === computeChecksum(d);
}
