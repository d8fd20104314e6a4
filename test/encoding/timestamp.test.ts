import { describe, expect, it } from 'vitest';

import { compareTimestamps, formatTimestamp, normalizeTimestamp, parseTimestamp, ZERO_TIME } from '../../src/encoding/timestamp.js';

describe('timestamps', () => {
  it.each([
    ['2026-11-21T11:55:47.618991461Z', '2026-11-21T11:55:47.618991461Z'],
    ['2026-11-21T11:55:47.120000000Z', '2026-11-21T11:55:47.12Z'],
    ['2026-11-21T11:55:47.000Z', '2026-11-21T11:55:47Z'],
    ['2026-11-21T11:55:47+00:00', '2026-11-21T11:55:47Z'],
    ['2026-11-21T11:55:47-00:00', '2026-11-21T11:55:47Z'],
    ['2026-11-21T13:55:47.5+02:00', '2026-11-21T13:55:47.5+02:00'],
    ['2026-11-21T11:55:47.1234567891Z', '2026-11-21T11:55:47.123456789Z'],
  ])('normalizes %s → %s', (input, out) => {
    expect(normalizeTimestamp(input)).toBe(out);
  });

  it('leaves non-timestamps alone', () => {
    expect(normalizeTimestamp('yesterday')).toBe('yesterday');
    expect(parseTimestamp('2026-13-01T00:00:00Z')).toBeUndefined();
  });

  it('formats nanoseconds as UTC RFC3339Nano', () => {
    expect(formatTimestamp(1795262147618991461n)).toBe('2026-11-21T11:55:47.618991461Z');
    expect(formatTimestamp(1795262147000000000n)).toBe('2026-11-21T11:55:47Z');
    expect(formatTimestamp(1795262147120000000n)).toBe('2026-11-21T11:55:47.12Z');
    expect(formatTimestamp(parseTimestamp(ZERO_TIME)!.ns)).toBe(ZERO_TIME);
  });

  it('round-trips through parse', () => {
    for (const ns of [0n, 1n, 999_999_999n, 1795262147618991461n, -1n, 253402300799999999999n]) {
      expect(parseTimestamp(formatTimestamp(ns))!.ns).toBe(ns);
    }
  });

  it('compares numerically at nanosecond precision, across fraction lengths and offsets', () => {
    expect(compareTimestamps('2026-11-21T11:55:47.9Z', '2026-11-21T11:55:47.10Z')).toBe(1);
    expect(compareTimestamps('2026-11-21T11:55:47.000000001Z', '2026-11-21T11:55:47Z')).toBe(1);
    expect(compareTimestamps('2026-11-21T13:55:47+02:00', '2026-11-21T11:55:47Z')).toBe(0);
  });
});
