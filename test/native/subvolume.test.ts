/**
 * The subvolume calls of both cores: the native side on a real btrfs, the fallback's refusals,
 * and where both must agree (plain directories, missing paths).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFallbackCore } from '../../src/native/fallback/index.js';
import { loadNativeCore } from '../../src/native/loader.js';
import type { CoreError, NativeCore } from '../../src/native/types.js';
import { freshDir, fsTarget } from '../support/filesystems.js';
import { removeTree } from './fixtures.js';

const loaded = loadNativeCore();
if (!loaded.core) throw new Error(`these tests need the native module: ${loaded.rejected.join('; ')}`);
const native: NativeCore = loaded.core;
const fallback: NativeCore = createFallbackCore();
const btrfs = fsTarget('btrfs');
const xfs = fsTarget('xfs');

async function failure(p: Promise<unknown>): Promise<CoreError> {
  try {
    await p;
  } catch (e) {
    return e as CoreError;
  }
  throw new Error('expected a failure');
}

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'jvs-subvol-'));
});
afterAll(async () => {
  await removeTree(base);
});

describe('both sides agree', () => {
  it('a plain directory or file is no subvolume; a missing path is E_NOT_FOUND', async () => {
    await mkdir(join(base, 'dir'));
    await writeFile(join(base, 'file'), 'x');
    for (const core of [native, fallback]) {
      expect(await core.isSubvolume(join(base, 'dir'))).toBe(false);
      expect(await core.isSubvolume(join(base, 'file'))).toBe(false);
      expect((await failure(core.isSubvolume(join(base, 'missing')))).code).toBe('E_NOT_FOUND');
    }
  });
});

describe('fallback', () => {
  it('refuses every subvolume operation with EOPNOTSUPP, naming the native module', async () => {
    const p = join(base, 'sv');
    for (const op of [
      fallback.createSubvolume(p),
      fallback.snapshotSubvolume(base, p, true),
      fallback.setSubvolumeReadonly(p, true),
      fallback.deleteSubvolume(p),
    ]) {
      const e = await failure(op);
      expect([e.code, e.errno]).toEqual(['E_IO', 'EOPNOTSUPP']);
      expect(e.message).toMatch(/btrfs subvolumes need the native module/);
    }
  });
});

describe.skipIf(!xfs.dir)('native outside btrfs', () => {
  it('creating a subvolume says the file system is not btrfs', async () => {
    const e = await failure(native.createSubvolume(join(await freshDir(xfs, 'not-btrfs'), 'sv')));
    expect([e.code, e.errno]).toEqual(['E_IO', 'ENOTTY']);
    expect(e.message).toMatch(/not on a btrfs file system$/);
  });
});

describe.skipIf(!btrfs.dir)('native on btrfs', () => {
  it('creates, snapshots read-only, flips the flag and deletes', async () => {
    const dir = await freshDir(btrfs, 'native-subvol');
    const sv = join(dir, 'sv');
    await native.createSubvolume(sv);
    await writeFile(join(sv, 'f'), 'data');
    expect(await native.isSubvolume(sv)).toBe(true);
    expect(await fallback.isSubvolume(sv), 'the fallback never sees subvolumes').toBe(false);

    const snap = join(dir, 'snap');
    await native.snapshotSubvolume(sv, snap, true);
    expect((await failure(writeFile(join(snap, 'g'), 'x'))).code).toBe('EROFS');
    await native.setSubvolumeReadonly(snap, false);
    await writeFile(join(snap, 'g'), 'x');
    await native.setSubvolumeReadonly(snap, true);

    expect((await failure(native.createSubvolume(sv))).code).toBe('E_EXISTS');
    await mkdir(join(dir, 'plain'));
    expect((await failure(native.snapshotSubvolume(join(dir, 'plain'), join(dir, 'x'), true))).message).toMatch(/not a btrfs subvolume/);

    await native.deleteSubvolume(snap);
    await native.deleteSubvolume(sv);
    expect((await failure(native.isSubvolume(sv))).code).toBe('E_NOT_FOUND');
  });
});
