// `jvs pin add|list|remove` (§2.16) through the built CLI.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { parseTimestamp } from '../../src/encoding/timestamp.js';
import { auditEvents } from '../gc/support.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';
import { jsonError, jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-pin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (): string => extractFixture(mkdtempSync(join(tmp, 's-')));

const { first, second, feature } = FIXTURE_IDS;
const NOT_FOUND_BLOCK = (ref: string): string => `snapshot '${ref}' not found\n  Run jvs history to see available snapshots.\n`;

/** Writes a pin file by hand (as v8.2 or an older run would have). */
function writePin(root: string, file: string, content: string): void {
  mkdirSync(join(root, '.jvs/pins'), { recursive: true });
  writeFileSync(join(root, '.jvs/pins', file), content);
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

describe('jvs pin add', () => {
  it('pins the snapshot a ref resolves to (tag, id prefix) and writes .jvs/pins/<ID>.json', async () => {
    const root = fixture();
    expect(jvs(['pin', 'add', 'v1'], { cwd: join(root, 'main') })).toEqual({ stdout: `Pinned snapshot ${first}\n`, stderr: '', status: 0 });
    const pin = JSON.parse(readFileSync(join(root, '.jvs/pins', `${first}.json`), 'utf8')) as Record<string, string>;
    expect(Object.keys(pin)).toEqual(['snapshot_id', 'pinned_at']);
    expect(pin.snapshot_id).toBe(first);
    expect(jvs(['pin', 'add', second.slice(0, 15)], { cwd: root }).stdout).toBe(`Pinned snapshot ${second}\n`);
    expect((await auditEvents(root, 'pin_add')).map((e) => e.snapshot_id)).toEqual([first, second]);
  });

  it('--expires DURATION: `until <RFC3339>`; --reason; JSON is the pin object; a new pin replaces the old', () => {
    const root = fixture();
    const before = nowNs();
    const r = jvs(['pin', 'add', 'feat', '--reason', 'paper results', '--expires', '2w'], { cwd: root });
    expect(r.status).toBe(0);
    const m = /^Pinned snapshot (\S+) until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\n$/.exec(r.stdout);
    expect(m?.[1]).toBe(feature);
    const until = parseTimestamp(m![2]!)!.ns;
    const twoWeeks = 14n * 86_400n * 1_000_000_000n;
    expect(until >= before + twoWeeks - 1_000_000_000n && until <= nowNs() + twoWeeks).toBe(true);

    const j = jvs(['--json', 'pin', 'add', 'feat', '--expires=1h30m', '--reason', 'a <b>'], { cwd: root });
    expect(j.status).toBe(0);
    const pin = JSON.parse(j.stdout) as { snapshot_id: string; pinned_at: string; reason: string; expires_at: string };
    expect(j.stdout).toBe(
      `{\n  "snapshot_id": "${feature}",\n  "pinned_at": "${pin.pinned_at}",\n  "reason": "a \\u003cb\\u003e",\n  "expires_at": "${pin.expires_at}"\n}\n`,
    );
    expect(parseTimestamp(pin.expires_at)!.ns - parseTimestamp(pin.pinned_at)!.ns).toBe(5_400_000_000_000n);
    // The file holds the same object (pretty, no trailing newline); one pin per snapshot.
    expect(readFileSync(join(root, '.jvs/pins', `${feature}.json`), 'utf8')).toBe(j.stdout.trimEnd());
    expect(readdirSync(join(root, '.jvs/pins'))).toEqual([`${feature}.json`]);
  });

  it('an unknown ref prints the not-found block (E_NOT_FOUND); an invalid DURATION is E_USAGE', () => {
    const root = fixture();
    expect(jvs(['pin', 'add', 'nosuch'], { cwd: root })).toEqual({ stdout: '', stderr: NOT_FOUND_BLOCK('nosuch'), status: 1 });
    const j = jvs(['pin', 'add', 'nosuch', '--json'], { cwd: root });
    expect(j.stdout).toBe('');
    expect(jsonError(j)).toMatchObject({ code: 'E_NOT_FOUND' });

    const message = 'invalid argument "soon" for "--expires" flag: time: invalid duration "soon"';
    expect(jvs(['pin', 'add', 'v1', '--expires', 'soon'], { cwd: root })).toEqual({ stdout: '', stderr: `${message}\n`, status: 2 });
    expect(jsonError(jvs(['pin', 'add', 'v1', '--expires', 'soon', '--json'], { cwd: root }))).toEqual({
      code: 'E_USAGE',
      message,
      hint: "See 'jvs pin add --help'.",
    });
    expect(jvs(['pin', 'add'], { cwd: root })).toEqual({ stdout: '', stderr: 'accepts 1 arg(s), received 0\n', status: 2 });
    expect(jvs(['pin', 'add', 'v1', 'v2'], { cwd: root }).stderr).toBe('accepts 1 arg(s), received 2\n');
    expect(readdirSync(join(root, '.jvs')).includes('pins') ? readdirSync(join(root, '.jvs/pins')) : []).toEqual([]);
  });
});

describe('jvs pin list', () => {
  it('No pins. / [] when there are none', () => {
    const root = fixture();
    expect(jvs(['pin', 'list'], { cwd: root })).toEqual({ stdout: 'No pins.\n', stderr: '', status: 0 });
    expect(jvs(['pin', 'list', '--json'], { cwd: root })).toEqual({ stdout: '[]\n', stderr: '', status: 0 });
  });

  it('one line per pin, sorted by id then pinned_at, with expiry, (expired) and reason; invalid files are warnings', () => {
    const root = fixture();
    writePin(root, 'z.json', `{"snapshot_id": "${first}", "pinned_at": "2020-01-02T03:04:05.999Z", "reason": "old", "expires_at": "2020-02-03T04:05:06Z"}`);
    writePin(root, 'a.json', `{"snapshot_id": "${second}", "pinned_at": "2020-01-01T00:00:00Z", "expires_at": "2999-12-31T23:59:59+01:00"}`);
    writePin(root, 'b.json', `{"snapshot_id": "${first}", "pinned_at": "2019-06-07T08:09:10+02:00", "reason": "keep forever"}`);
    writePin(root, 'bad.json', '{"snapshot_id": 5}');
    writePin(root, 'notes.txt', 'not a pin');
    const r = jvs(['pin', 'list'], { cwd: root });
    expect(r).toEqual({
      stdout:
        `${first}  pinned 2019-06-07 06:09  keep forever\n` +
        `${first}  pinned 2020-01-02 03:04  expires 2020-02-03 04:05  (expired)  old\n` +
        `${second}  pinned 2020-01-01 00:00  expires 2999-12-31 22:59\n`,
      stderr: 'warning: skipping invalid pin bad.json: json: cannot unmarshal number into Go struct field Pin.snapshot_id of type string\n',
      status: 0,
    });
    const j = jvs(['pin', 'list', '--json'], { cwd: root });
    expect(j.stderr).toMatch(/^warning: skipping invalid pin bad\.json: /);
    expect(j.stdout).toBe(
      '[\n' +
        `  {\n    "snapshot_id": "${first}",\n    "pinned_at": "2019-06-07T08:09:10+02:00",\n    "reason": "keep forever"\n  },\n` +
        `  {\n    "snapshot_id": "${first}",\n    "pinned_at": "2020-01-02T03:04:05.999Z",\n    "reason": "old",\n    "expires_at": "2020-02-03T04:05:06Z"\n  },\n` +
        `  {\n    "snapshot_id": "${second}",\n    "pinned_at": "2020-01-01T00:00:00Z",\n    "expires_at": "2999-12-31T23:59:59+01:00"\n  }\n` +
        ']\n',
    );
  });

  it('takes no arguments; global flags anywhere', () => {
    const root = fixture();
    expect(jvs(['pin', 'list', 'x'], { cwd: root })).toEqual({ stdout: '', stderr: 'accepts 0 arg(s), received 1\n', status: 2 });
    for (const args of [['--json', 'pin', 'list'], ['pin', '--json', 'list'], ['pin', 'list', '--json']]) {
      expect(jvs(args, { cwd: join(root, '.jvs') }).stdout, args.join(' ')).toBe('[]\n');
    }
  });
});

describe('jvs pin remove', () => {
  it('removes every pin of the snapshot; text and JSON; audit pin_remove', async () => {
    const root = fixture();
    jvs(['pin', 'add', 'v1'], { cwd: root });
    writePin(root, 'extra.json', `{"snapshot_id": "${first}", "pinned_at": "2020-01-01T00:00:00Z"}`);
    jvs(['pin', 'add', 'v2'], { cwd: root });
    expect(jvs(['pin', 'remove', 'v1'], { cwd: root })).toEqual({ stdout: `Unpinned snapshot ${first}\n`, stderr: '', status: 0 });
    expect(readdirSync(join(root, '.jvs/pins'))).toEqual([`${second}.json`]);
    expect((await auditEvents(root, 'pin_remove')).map((e) => e.details)).toEqual([{ removed: 2 }]);
    expect(jvs(['pin', 'remove', 'v2', '--json'], { cwd: root })).toEqual({
      stdout: `{\n  "snapshot_id": "${second}",\n  "removed": 1\n}\n`,
      stderr: '',
      status: 0,
    });
    expect(jvs(['pin', 'list'], { cwd: root }).stdout).toBe('No pins.\n');
  });

  it('no pin: jvs: pin remove: no pin for snapshot <ref> (E_NOT_FOUND); unknown ref: the block', () => {
    const root = fixture();
    expect(jvs(['pin', 'remove', 'v1'], { cwd: root })).toEqual({ stdout: '', stderr: 'jvs: pin remove: no pin for snapshot v1\n', status: 1 });
    expect(jsonError(jvs(['pin', 'remove', 'v1', '--json'], { cwd: root }))).toEqual({
      code: 'E_NOT_FOUND',
      message: 'pin remove: no pin for snapshot v1',
      hint: '',
    });
    // A ref that resolves to nothing falls back to the pinned ids (§2.16): none here.
    expect(jvs(['pin', 'remove', 'nosuch'], { cwd: root })).toEqual({ stdout: '', stderr: 'jvs: pin remove: no pin for snapshot nosuch\n', status: 1 });
    expect(jvs(['pin', 'remove'], { cwd: root })).toEqual({ stdout: '', stderr: 'accepts 1 arg(s), received 0\n', status: 2 });
  });

  it('a pin whose snapshot is gone is removed by its id or an id prefix', () => {
    const root = fixture();
    const gone = '1700000000000-deadbeef';
    writePin(root, `${gone}.json`, `{"snapshot_id": "${gone}", "pinned_at": "2020-01-01T00:00:00Z"}`);
    expect(jvs(['pin', 'remove', '1700000000000-dead'], { cwd: root })).toEqual({ stdout: `Unpinned snapshot ${gone}\n`, stderr: '', status: 0 });
    expect(readdirSync(join(root, '.jvs/pins'))).toEqual([]);
  });
});
