/**
 * Lock holder records (CONTRACT §3.13): who holds a lock, precisely enough that another process
 * on the same machine can prove the holder dead, and a human can see what is running where.
 * Field order is the documented one; the bytes are compact Go-style JSON.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import { encodeJson } from '../encoding/json.js';
import { nowTimestamp } from '../encoding/timestamp.js';

export interface LockRecord {
  host: string;
  /** `/proc/sys/kernel/random/boot_id`; '' where the OS has none. */
  boot_id: string;
  pid: number;
  /** Field 22 of `/proc/<pid>/stat` (clock ticks since boot); 0 where the OS has none. */
  process_start: number;
  /** The jvs command line that took the lock. */
  command: string;
  acquired_at: string;
}

/** What identifies this process, computed once (none of it changes while we run). */
export interface Identity {
  host: string;
  boot_id: string;
  pid: number;
  process_start: number;
}

export interface ProcStat {
  /** Field 3: R, S, D, Z, … */
  state: string;
  /** Field 22. */
  start: number;
}

/**
 * Parses `/proc/<pid>/stat`. Field 2 is the command name in parentheses and may itself contain
 * spaces and parentheses, so the fixed fields are those after the *last* `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") " come fields 3, 4, …: field n is at index n - 3.
  const fields = text.slice(close + 2).trim().split(' ');
  const state = fields[0];
  const start = fields[22 - 3];
  if (state === undefined || start === undefined || !/^\d+$/.test(start)) return undefined;
  return { state, start: Number(start) };
}

/** The stat line of a process; undefined when it does not exist (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch {
    return '';
  }
}

let self: Identity | undefined;

export function selfIdentity(): Identity {
  if (self?.pid !== process.pid) {
    self = {
      host: hostname(),
      boot_id: readBootId(),
      pid: process.pid,
      process_start: readProcStat(process.pid)?.start ?? 0,
    };
  }
  return self;
}

export function newRecord(command: string): LockRecord {
  return { ...selfIdentity(), command, acquired_at: nowTimestamp() };
}

export function encodeRecord(r: LockRecord): Buffer {
  const ordered = {
    host: r.host,
    boot_id: r.boot_id,
    pid: r.pid,
    process_start: r.process_start,
    command: r.command,
    acquired_at: r.acquired_at,
  };
  return Buffer.from(encodeJson(ordered, { pretty: false }));
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The record in `bytes`, or undefined when it is not a complete, well-typed record. */
export function parseRecord(bytes: Buffer): LockRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const { host, boot_id, pid, process_start, command, acquired_at } = o;
  if (typeof host !== 'string' || typeof boot_id !== 'string' || typeof command !== 'string') return undefined;
  if (typeof acquired_at !== 'string' || !isCount(pid) || pid === 0 || !isCount(process_start)) return undefined;
  return { host, boot_id, pid, process_start, command, acquired_at };
}
