/**
 * GC plans `.jvs/gc/<plan_id>.json` (CONTRACT §3.8) and our plan extras
 * `.jvs/ext/gc/<plan_id>.json` (§3.12). The plan file is exactly the `gc plan --json` object,
 * so v8.2 can run our plans and we can run v8.2's. Also home of the Go-decoder-like field
 * reader the three §3.8 formats (plan, tombstone, pin) share.
 */
import { byteOrder } from '../encoding/order.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import { encodeJson, type JsonValue } from '../encoding/json.js';
import { formatTimestamp, parseTimestamp, type ParsedTime } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { errnoCode, goPathError } from '../fs/go-errors.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * Fields of a JSON object read the way Go's decoder fills a struct: a missing or null field is
 * the zero value, unknown fields are ignored, a value of the wrong type is an error with Go-like
 * text (`json: cannot unmarshal number into Go struct field Pin.reason of type string`).
 */
export class GoFields {
  private constructor(
    private readonly o: Record<string, unknown>,
    private readonly struct: string,
  ) {}

  /** Parses `text`; anything but an object is an error, as for Go's struct targets. */
  static parse(text: string, struct: string): GoFields {
    const raw: unknown = JSON.parse(text);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new Error(`json: cannot unmarshal ${jsonType(raw)} into Go value of type ${struct}`);
    }
    return new GoFields(raw as Record<string, unknown>, struct);
  }

  private mismatch(field: string, v: unknown, goType: string): Error {
    return new Error(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${this.struct}.${field} of type ${goType}`);
  }

  /** Whether the field is present and not null (Go pointer fields). */
  has(field: string): boolean {
    return this.o[field] !== undefined && this.o[field] !== null;
  }

  string(field: string): string {
    const v = this.o[field] ?? '';
    if (typeof v !== 'string') throw this.mismatch(field, v, 'string');
    return v;
  }

  bool(field: string): boolean {
    const v = this.o[field] ?? false;
    if (typeof v !== 'boolean') throw this.mismatch(field, v, 'bool');
    return v;
  }

  /** A Go int64. JSON.parse reads numbers as doubles, so values past 2^53 arrive rounded. */
  int(field: string): bigint {
    const v = this.o[field] ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.mismatch(field, v, 'int64');
    return BigInt(v);
  }

  /** A Go []string; null and missing read as []. */
  strings(field: string): string[] {
    const v = this.o[field] ?? [];
    if (!Array.isArray(v)) throw this.mismatch(field, v, '[]string');
    return v.map((x: unknown) => {
      if (typeof x !== 'string') throw this.mismatch(field, x, 'string');
      return x;
    });
  }

  /** A nested object, as GoFields of the Go type `struct`. */
  object(field: string, struct: string): GoFields {
    const v = this.o[field] ?? {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.mismatch(field, v, struct);
    return new GoFields(v as Record<string, unknown>, struct);
  }
}

export interface RetentionPolicy {
  keep_min_snapshots: number;
  /** Nanoseconds (Go time.Duration); 0 disables age-based retention. */
  keep_min_age: bigint;
}

export interface GcPlan {
  plan_id: string;
  created_at: string;
  /** Protected ids. Kept in file order when read (v8.2 does not sort); sorted when written. */
  protected_set: string[];
  protected_by_pin: number;
  protected_by_lineage: number;
  protected_by_retention: number;
  candidate_count: number;
  to_delete: string[];
  deletable_bytes_estimate: number;
  retention_policy: RetentionPolicy;
}

/** Our additions to a plan, kept outside the v8.2 file (§3.12). */
export interface GcPlanExtras {
  keep_tags: string[];
  expires_at: string;
}

/** How long a plan stays valid after `created_at` (§7 run step 2). */
export const PLAN_TTL_NS = 3_600_000_000_000n;

/** Byte-wise (UTF-8) order, the order Go's sort.Strings gives. */

/** Sorted byte-wise; an empty list is Go's nil slice, printed `null` (§3.8). */
function sortedOrNull(ids: readonly string[]): string[] | null {
  return ids.length === 0 ? null : [...ids].sort(byteOrder);
}

/** The `gc plan --json` object and plan file content, fields in §3.8 order. */
export function gcPlanJson(p: GcPlan): JsonValue {
  return {
    plan_id: p.plan_id,
    created_at: p.created_at,
    protected_set: sortedOrNull(p.protected_set),
    protected_by_pin: p.protected_by_pin,
    protected_by_lineage: p.protected_by_lineage,
    protected_by_retention: p.protected_by_retention,
    candidate_count: p.candidate_count,
    to_delete: sortedOrNull(p.to_delete),
    deletable_bytes_estimate: p.deletable_bytes_estimate,
    retention_policy: { keep_min_snapshots: p.retention_policy.keep_min_snapshots, keep_min_age: p.retention_policy.keep_min_age },
  };
}

/** The plan file: pretty JSON, no trailing newline. */
export function encodeGcPlan(p: GcPlan): string {
  return encodeJson(gcPlanJson(p), { pretty: true });
}

/** Parses a plan file (ours or v8.2's) like Go's decoder; throws Error with Go-like text. */
export function parseGcPlan(text: string): GcPlan {
  const f = GoFields.parse(text, 'GCPlan');
  const r = f.object('retention_policy', 'RetentionPolicy');
  return {
    plan_id: f.string('plan_id'),
    created_at: f.string('created_at'),
    protected_set: f.strings('protected_set'),
    protected_by_pin: Number(f.int('protected_by_pin')),
    protected_by_lineage: Number(f.int('protected_by_lineage')),
    protected_by_retention: Number(f.int('protected_by_retention')),
    candidate_count: Number(f.int('candidate_count')),
    to_delete: f.strings('to_delete'),
    deletable_bytes_estimate: Number(f.int('deletable_bytes_estimate')),
    retention_policy: { keep_min_snapshots: Number(r.int('keep_min_snapshots')), keep_min_age: r.int('keep_min_age') },
  };
}

/** A fresh plan id: lower-case UUID v4. */
export function newPlanId(): string {
  return randomUUID();
}

/** Throws `E_PATH_ESCAPE: invalid plan id: <id>` unless the id is one safe path component (§5.5). */
export function validatePlanId(id: string): void {
  if (!isSafeComponent(id)) throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: invalid plan id: ${id}`);
}

/**
 * Writes the plan and its extras, whose `expires_at` is `created_at` + 1 h (§7). Extras first,
 * so a plan file of ours never exists without them.
 */
export async function writeGcPlan(layout: RepoLayout, plan: GcPlan, keepTags: readonly string[]): Promise<void> {
  validatePlanId(plan.plan_id);
  const expires = planExpiresAt(plan, undefined);
  if (!expires) throw new Error(`gc plan ${plan.plan_id}: invalid created_at ${plan.created_at}`);
  const extrasPath = layout.gcExtras(plan.plan_id);
  await mkdir(dirname(extrasPath), { recursive: true });
  await writeFileAtomic(extrasPath, encodeJson({ keep_tags: keepTags, expires_at: expires.normalized }, { pretty: true }), 0o644);
  const planPath = layout.gcPlan(plan.plan_id);
  await mkdir(dirname(planPath), { recursive: true });
  await writeFileAtomic(planPath, encodeGcPlan(plan), 0o644);
}

/**
 * Loads a plan for `gc run`. Invalid id → `E_PATH_ESCAPE: invalid plan id: <id>`; missing file →
 * `load plan: open <path>: no such file or directory` [E_NOT_FOUND]; unreadable or unparsable →
 * `load plan: <err>` [E_IO]. Callers add `run gc: ` where the contract shows it (§2.10).
 */
export async function readGcPlan(layout: RepoLayout, planId: string): Promise<GcPlan> {
  validatePlanId(planId);
  const path = layout.gcPlan(planId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = errnoCode(e) === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO';
    throw new JvsError(code, `load plan: ${goPathError('open', path, e)}`, { cause: e });
  }
  try {
    return parseGcPlan(text);
  } catch (e) {
    throw new JvsError('E_IO', `load plan: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The plan's extras; undefined when missing or unreadable (v8.2 plans have none; §3.12). */
export async function readGcPlanExtras(layout: RepoLayout, planId: string): Promise<GcPlanExtras | undefined> {
  validatePlanId(planId);
  try {
    const f = GoFields.parse(await readFile(layout.gcExtras(planId), 'utf8'), 'GCPlanExtras');
    return { keep_tags: f.strings('keep_tags'), expires_at: f.string('expires_at') };
  } catch {
    return undefined;
  }
}

/**
 * When the plan stops applying: the extras' `expires_at`, else `created_at` + 1 h (how v8.2
 * plans are judged, §7). Undefined when neither time parses — such a plan cannot be shown fresh.
 */
export function planExpiresAt(plan: GcPlan, extras: GcPlanExtras | undefined): ParsedTime | undefined {
  const explicit = extras && parseTimestamp(extras.expires_at);
  if (explicit) return explicit;
  const created = parseTimestamp(plan.created_at);
  if (!created) return undefined;
  const ns = created.ns + PLAN_TTL_NS;
  return { ns, normalized: formatTimestamp(ns) };
}

/** Removes the plan file and its extras after a run; already missing is fine. */
export async function removeGcPlan(layout: RepoLayout, planId: string): Promise<void> {
  validatePlanId(planId);
  for (const path of [layout.gcPlan(planId), layout.gcExtras(planId)]) {
    await unlink(path).catch((e: unknown) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
  }
}
