import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';

import { encodeRecord, newRecord, parseProcStat, parseRecord, readProcStat, selfIdentity } from '../../src/locks/record.js';

describe('/proc/<pid>/stat parsing', () => {
  it('takes the fields after the last parenthesis, whatever the command name holds', () => {
    const tail = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';
    expect(parseProcStat(`42 (plain) ${tail}`)).toEqual({ state: 'S', start: 987654 });
    expect(parseProcStat(`42 (a) b (c d)) ${tail}\n`)).toEqual({ state: 'S', start: 987654 });
    expect(parseProcStat(`42 ( ) ) ${tail}`)).toEqual({ state: 'S', start: 987654 });
    expect(parseProcStat('42 (x) S 1 2')).toBeUndefined();
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('reads our own start time, the same as /proc/self/stat field 22', () => {
    const raw = readFileSync('/proc/self/stat', 'latin1');
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    expect(readProcStat(process.pid)).toEqual({ state: 'R', start: Number(fields[19]) });
  });
});

describe('lock record (§3.13)', () => {
  it('identifies this process', () => {
    expect(selfIdentity()).toEqual({
      host: hostname(),
      boot_id: readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim(),
      pid: process.pid,
      process_start: readProcStat(process.pid)!.start,
    });
  });

  it('is compact JSON in the documented field order, escaped as Go escapes', () => {
    const r = { host: 'h', boot_id: 'b', pid: 7, process_start: 123, command: 'jvs snapshot "<x>"', acquired_at: '2026-01-02T03:04:05.123456789Z' };
    const bytes = encodeRecord(r);
    expect(bytes.toString()).toBe(
      '{"host":"h","boot_id":"b","pid":7,"process_start":123,"command":"jvs snapshot \\"\\u003cx\\u003e\\"","acquired_at":"2026-01-02T03:04:05.123456789Z"}',
    );
    expect(parseRecord(bytes)).toEqual(r);
  });

  it('records the command and when it was taken', () => {
    const r = newRecord('jvs restore abc');
    expect(r).toMatchObject({ ...selfIdentity(), command: 'jvs restore abc' });
    expect(r.acquired_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it('rejects anything that is not a complete record', () => {
    const ok = { host: 'h', boot_id: 'b', pid: 7, process_start: 1, command: 'c', acquired_at: 't' };
    for (const bad of [
      '',
      '{',
      'null',
      '[]',
      JSON.stringify({ ...ok, pid: '7' }),
      JSON.stringify({ ...ok, pid: 0 }),
      JSON.stringify({ ...ok, pid: 1.5 }),
      JSON.stringify({ ...ok, process_start: -1 }),
      JSON.stringify({ ...ok, host: undefined }),
      JSON.stringify({ ...ok, command: 3 }),
    ]) {
      expect(parseRecord(Buffer.from(bad)), bad).toBeUndefined();
    }
  });
});
