/**
 * Pins `.jvs/pins/*.json` (CONTRACT §3.8, §2.16): a snapshot GC must keep, optionally until a
 * time. v8.2 reads them, so the shape is its own; ours are named `<ID>.json`, but any `*.json`
 * in the directory is a pin. Unparsable pins and expired pins protect nothing.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { encodeJson, quoteString, type JsonValue } from '../encoding/json.js';
import { compareTimestamps, formatTimestamp, nowNs, parseTimestamp, ZERO_TIME } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { errnoCode, goPathError } from '../fs/go-errors.js';
import type { RepoLayout } from '../repo/layout.js';
import { isSafeComponent } from '../repo/names.js';
import { byteOrder } from '../encoding/order.js';
import { GoFields } from './gc-plan.js';

export interface Pin {
  snapshot_id: string;
  pinned_at: string;
  /** Absent when empty. */
  reason?: string;
  /** Absent when the pin never expires. */
  expires_at?: string;
}

/** A pin and the file it was read from (a name inside `.jvs/pins/`). */
export interface PinFile {
  file: string;
  pin: Pin;
}

export interface InvalidPin {
  file: string;
  error: string;
}

export interface PinListing {
  /** Sorted by snapshot_id (byte-wise), then pinned_at, then file name. */
  pins: PinFile[];
  /** For `warning: skipping invalid pin <file>: <error>`, in file-name order. */
  invalid: InvalidPin[];
}

/** The pin object of `pin add --json` and `pin list --json`, and the file content. */
export function pinJson(p: Pin): JsonValue {
  return {
    snapshot_id: p.snapshot_id,
    pinned_at: p.pinned_at,
    reason: p.reason ? p.reason : undefined,
    expires_at: p.expires_at,
  };
}

/** Pretty JSON, no trailing newline. */
export function encodePin(p: Pin): string {
  return encodeJson(pinJson(p), { pretty: true });
}

/** A time field as Go's time.Time decodes it: RFC3339 or an error. */
function timeField(f: GoFields, field: string): string {
  const v = f.string(field);
  if (parseTimestamp(v) === undefined) throw new Error(`invalid ${field}: ${quoteString(v)} is not an RFC3339 time`);
  return v;
}

/**
 * Parses a pin like Go's decoder (missing `pinned_at` = the zero time); additionally a pin
 * without a snapshot id is rejected, as it can protect nothing.
 */
export function parsePin(text: string): Pin {
  const f = GoFields.parse(text, 'Pin');
  const snapshotId = f.string('snapshot_id');
  if (snapshotId === '') throw new Error('missing snapshot_id');
  const pin: Pin = { snapshot_id: snapshotId, pinned_at: f.has('pinned_at') ? timeField(f, 'pinned_at') : ZERO_TIME };
  const reason = f.string('reason');
  if (reason !== '') pin.reason = reason;
  if (f.has('expires_at')) pin.expires_at = timeField(f, 'expires_at');
  return pin;
}

/** Throws `E_PATH_ESCAPE: invalid <what>: <name>` unless `name` is one safe path component (§5.5). */
function checkComponent(what: string, name: string): void {
  if (!isSafeComponent(name)) throw new JvsError('E_PATH_ESCAPE', `E_PATH_ESCAPE: invalid ${what}: ${name}`);
}

export interface AddPinOptions {
  reason?: string;
  /** Nanoseconds from now until the pin expires (`--expires`); none = never. */
  expiresIn?: bigint;
}

/**
 * Writes `.jvs/pins/<ID>.json` (atomic, 0644), replacing an existing pin of that id;
 * `pinned_at` and `expires_at` come from one clock reading. Returns the pin written.
 */
export async function addPin(layout: RepoLayout, snapshotId: string, opts: AddPinOptions = {}, now: bigint = nowNs()): Promise<Pin> {
  checkComponent('snapshot id', snapshotId);
  const pin: Pin = { snapshot_id: snapshotId, pinned_at: formatTimestamp(now) };
  if (opts.reason) pin.reason = opts.reason;
  if (opts.expiresIn !== undefined) pin.expires_at = formatTimestamp(now + opts.expiresIn);
  await mkdir(layout.pinsDir, { recursive: true });
  await writeFileAtomic(layout.pin(snapshotId), encodePin(pin), 0o644);
  return pin;
}

/** Every `*.json` in `.jvs/pins/`, parsed; a missing directory has no pins. */
export async function listPins(layout: RepoLayout): Promise<PinListing> {
  let names: string[];
  try {
    names = await readdir(layout.pinsDir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { pins: [], invalid: [] };
    throw new JvsError('E_IO', goPathError('open', layout.pinsDir, e), { cause: e });
  }
  const listing: PinListing = { pins: [], invalid: [] };
  for (const file of names.filter((n) => n.endsWith('.json')).sort(byteOrder)) {
    try {
      listing.pins.push({ file, pin: parsePin(await readFile(join(layout.pinsDir, file), 'utf8')) });
    } catch (e) {
      const error = errnoCode(e) ? goPathError('read', join(layout.pinsDir, file), e) : e instanceof Error ? e.message : String(e);
      listing.invalid.push({ file, error });
    }
  }
  listing.pins.sort(
    (a, b) =>
      byteOrder(a.pin.snapshot_id, b.pin.snapshot_id) || compareTimestamps(a.pin.pinned_at, b.pin.pinned_at) || byteOrder(a.file, b.file),
  );
  return listing;
}

/** Whether the pin still protects its snapshot at `now` (ns): no expiry, or expiry in the future. */
export function isPinActive(pin: Pin, now: bigint): boolean {
  if (pin.expires_at === undefined) return true;
  const expires = parseTimestamp(pin.expires_at);
  return expires !== undefined && expires.ns > now;
}

/** Deletes one pin file (a name from listPins). */
export async function removePin(layout: RepoLayout, file: string): Promise<void> {
  checkComponent('pin file', file);
  await unlink(join(layout.pinsDir, file));
}
