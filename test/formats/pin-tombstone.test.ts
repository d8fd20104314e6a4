import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { encodeJsonOutput } from '../../src/encoding/json.js';
import { parseTimestamp } from '../../src/encoding/timestamp.js';
import { addPin, encodePin, isPinActive, listPins, parsePin, pinJson, removePin } from '../../src/formats/pin.js';
import { encodeTombstone, hasTombstone, parseTombstone, writeTombstone } from '../../src/formats/tombstone.js';
import { RepoLayout } from '../../src/repo/layout.js';

const ID = '1795263420442-3f317e6c';
const ID2 = '1795263420606-dff34399';
const T0 = parseTimestamp('2026-11-21T12:00:00Z')!.ns;
const HOUR = 3_600_000_000_000n;

let tmp: string;
let layout: RepoLayout;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-pin-'));
  layout = new RepoLayout(tmp);
  await mkdir(layout.jvs);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('tombstones (§3.8)', () => {
  it('writes pretty JSON with reclaimable true, atomically, 0644', async () => {
    expect(await hasTombstone(layout, ID)).toBe(false);
    const t = await writeTombstone(layout, ID, '2026-11-21T12:17:00.5Z');
    const text = await readFile(layout.tombstone(ID), 'utf8');
    expect(text).toBe(`{\n  "snapshot_id": "${ID}",\n  "deleted_at": "2026-11-21T12:17:00.5Z",\n  "reclaimable": true\n}`);
    expect(parseTombstone(text)).toEqual(t);
    expect(encodeTombstone(t)).toBe(text);
    expect((await stat(layout.tombstone(ID))).mode & 0o777).toBe(0o644);
    expect(await hasTombstone(layout, ID)).toBe(true);
  });

  it('a tombstone whose content is damaged still proves the deletion', async () => {
    await writeTombstone(layout, ID);
    await writeFile(layout.tombstone(ID), 'garbage');
    expect(await hasTombstone(layout, ID)).toBe(true);
  });

  it('rejects ids that are not one path component', async () => {
    await expect(writeTombstone(layout, '../x')).rejects.toMatchObject({ code: 'E_PATH_ESCAPE' });
    await expect(hasTombstone(layout, 'a/b')).rejects.toMatchObject({ code: 'E_PATH_ESCAPE' });
  });
});

describe('pins (§3.8, §2.16)', () => {
  it('omits reason and expires_at when unset', () => {
    expect(encodePin({ snapshot_id: ID, pinned_at: '2026-11-21T12:00:00Z' })).toBe(
      `{\n  "snapshot_id": "${ID}",\n  "pinned_at": "2026-11-21T12:00:00Z"\n}`,
    );
    expect(encodePin({ snapshot_id: ID, pinned_at: '2026-11-21T12:00:00Z', reason: '' })).not.toContain('reason');
  });

  it('pin add: pinned_at and expires_at from one clock reading; JSON output is the pin object', async () => {
    const pin = await addPin(layout, ID, { reason: 'release <1.0>', expiresIn: 2n * HOUR }, T0 + 5n);
    expect(pin).toEqual({
      snapshot_id: ID,
      pinned_at: '2026-11-21T12:00:00.000000005Z',
      reason: 'release <1.0>',
      expires_at: '2026-11-21T14:00:00.000000005Z',
    });
    const text = await readFile(layout.pin(ID), 'utf8');
    expect(text).toBe(
      `{\n  "snapshot_id": "${ID}",\n  "pinned_at": "2026-11-21T12:00:00.000000005Z",\n  "reason": "release \\u003c1.0\\u003e",\n  "expires_at": "2026-11-21T14:00:00.000000005Z"\n}`,
    );
    expect(encodeJsonOutput(pinJson(pin))).toBe(text + '\n');
    expect((await stat(layout.pin(ID))).mode & 0o777).toBe(0o644);
    expect(parsePin(text)).toEqual(pin);
  });

  it('pin add replaces an existing pin of the same id', async () => {
    await addPin(layout, ID, { reason: 'old' }, T0);
    await addPin(layout, ID, {}, T0 + HOUR);
    const { pins } = await listPins(layout);
    expect(pins).toEqual([{ file: `${ID}.json`, pin: { snapshot_id: ID, pinned_at: '2026-11-21T13:00:00Z' } }]);
  });

  it('pin add refuses an id that is not one path component', async () => {
    await expect(addPin(layout, '../../evil')).rejects.toMatchObject({ code: 'E_PATH_ESCAPE', message: 'E_PATH_ESCAPE: invalid snapshot id: ../../evil' });
  });

  it('lists every *.json sorted by snapshot_id then pinned_at, and reports invalid ones', async () => {
    expect(await listPins(layout)).toEqual({ pins: [], invalid: [] });
    await addPin(layout, ID2, {}, T0);
    await addPin(layout, ID, {}, T0 + HOUR);
    // A hand-written (or v8.2) pin under another name, for the same id, pinned earlier.
    await writeFile(join(layout.pinsDir, 'zz-manual.json'), `{"snapshot_id":"${ID}","pinned_at":"2026-11-21T11:00:00+00:00","extra":1}`);
    await writeFile(join(layout.pinsDir, 'bad.json'), '{not json');
    await writeFile(join(layout.pinsDir, 'wrong-type.json'), `{"snapshot_id": 5}`);
    await writeFile(join(layout.pinsDir, 'no-id.json'), '{"pinned_at":"2026-11-21T11:00:00Z"}');
    await writeFile(join(layout.pinsDir, 'bad-time.json'), `{"snapshot_id":"${ID}","expires_at":"tomorrow"}`);
    await writeFile(join(layout.pinsDir, 'notes.txt'), 'ignored');
    await mkdir(join(layout.pinsDir, 'dir.json'));

    const { pins, invalid } = await listPins(layout);
    expect(pins.map((p) => [p.file, p.pin.snapshot_id])).toEqual([
      ['zz-manual.json', ID],
      [`${ID}.json`, ID],
      [`${ID2}.json`, ID2],
    ]);
    expect(pins[0]!.pin).toEqual({ snapshot_id: ID, pinned_at: '2026-11-21T11:00:00+00:00' });
    expect(invalid.map((i) => i.file)).toEqual(['bad-time.json', 'bad.json', 'dir.json', 'no-id.json', 'wrong-type.json']);
    const errors = Object.fromEntries(invalid.map((i) => [i.file, i.error]));
    expect(errors['bad-time.json']).toBe('invalid expires_at: "tomorrow" is not an RFC3339 time');
    expect(errors['dir.json']).toBe(`read ${join(layout.pinsDir, 'dir.json')}: is a directory`);
    expect(errors['no-id.json']).toBe('missing snapshot_id');
    expect(errors['wrong-type.json']).toBe('json: cannot unmarshal number into Go struct field Pin.snapshot_id of type string');
    expect(errors['bad.json']).toMatch(/JSON/);
  });

  it('reads a pin without pinned_at as the zero time, and null expires_at as none', () => {
    expect(parsePin(`{"snapshot_id":"${ID}","expires_at":null,"reason":null}`)).toEqual({ snapshot_id: ID, pinned_at: '0001-01-01T00:00:00Z' });
  });

  it('expired pins protect nothing', () => {
    const pin = { snapshot_id: ID, pinned_at: '2026-11-21T12:00:00Z' };
    expect(isPinActive(pin, T0)).toBe(true);
    const expiring = { ...pin, expires_at: '2026-11-21T13:00:00Z' };
    expect(isPinActive(expiring, T0 + HOUR - 1n)).toBe(true);
    expect(isPinActive(expiring, T0 + HOUR)).toBe(false);
    expect(isPinActive({ ...pin, expires_at: '2026-11-21T14:00:00+01:00' }, T0 + HOUR)).toBe(false);
  });

  it('removes a pin file by name', async () => {
    await addPin(layout, ID, {}, T0);
    await removePin(layout, `${ID}.json`);
    expect((await listPins(layout)).pins).toEqual([]);
    await expect(removePin(layout, '../x.json')).rejects.toMatchObject({ code: 'E_PATH_ESCAPE', message: 'E_PATH_ESCAPE: invalid pin file: ../x.json' });
  });
});
