import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeIntent, encodeReady, type ReadyMarker } from '../../src/formats/markers.js';
import { readMeta, writeMeta } from '../../src/formats/meta.js';
import { encodeWorktreeConfig, isDetached, parseWorktreeConfig } from '../../src/formats/worktree-config.js';
import { extractFixture, FIXTURE_IDS } from '../support/fixture.js';

let tmp: string;
let repo: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'jvs-fmt-'));
  repo = extractFixture(tmp);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('worktree config (§3.3)', () => {
  it('re-encodes v8.2 configs byte for byte', async () => {
    for (const name of ['main', 'feature', 'scratch']) {
      const text = await readFile(join(repo, '.jvs', 'worktrees', name, 'config.json'), 'utf8');
      expect(encodeWorktreeConfig(parseWorktreeConfig(text))).toBe(text);
    }
  });

  it('knows the fixture main worktree is detached and feature is not', async () => {
    const main = parseWorktreeConfig(await readFile(join(repo, '.jvs/worktrees/main/config.json'), 'utf8'));
    expect(main.head_snapshot_id).toBe(FIXTURE_IDS.first);
    expect(isDetached(main)).toBe(true);
    const feature = parseWorktreeConfig(await readFile(join(repo, '.jvs/worktrees/feature/config.json'), 'utf8'));
    expect(isDetached(feature)).toBe(false);
    expect(isDetached({ name: 'fresh', created_at: '' })).toBe(false);
  });

  it('drops unknown fields and empty ids on rewrite', () => {
    const c = parseWorktreeConfig('{"name":"w","head_snapshot_id":"","extra":1,"created_at":"2026-01-01T00:00:00Z"}');
    expect(encodeWorktreeConfig(c)).toBe('{\n  "name": "w",\n  "created_at": "2026-01-01T00:00:00Z"\n}');
  });
});

describe('READY and intent (§3.7)', () => {
  it('re-encodes every v8.2 READY marker byte for byte', async () => {
    const snaps = join(repo, '.jvs', 'snapshots');
    for (const id of await readdir(snaps)) {
      const text = await readFile(join(snaps, id, '.READY'), 'utf8');
      expect(encodeReady(JSON.parse(text) as ReadyMarker)).toBe(text);
    }
  });

  it('intents are compact JSON in field order', () => {
    expect(encodeIntent({ started_at: 't', engine: 'copy', worktree_name: 'main', snapshot_id: 'x' })).toBe(
      '{"snapshot_id":"x","worktree_name":"main","started_at":"t","engine":"copy"}',
    );
  });
});

describe('snapshot meta (§3.12)', () => {
  it('round-trips and treats garbage as absent', async () => {
    const p = join(tmp, 'ext', 'meta', 'x.json');
    await writeMeta(p, { requested_engine: 'reflink', engine: 'copy', degraded: ['reflink'], kind: 'safety' });
    expect(await readMeta(p)).toEqual({ requested_engine: 'reflink', engine: 'copy', degraded: ['reflink'], kind: 'safety' });
    expect(await readMeta(join(tmp, 'missing.json'))).toBeUndefined();
  });
});
