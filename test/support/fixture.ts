/** The jvs v8.2 repository fixture (../shared/fixtures/upstream-v8.2-demo.tar). */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_TAR = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'upstream-v8.2-demo.tar');

/** Extracts the fixture into `dir`; returns the repository root (`<dir>/demo`). */
export function extractFixture(dir: string): string {
  execFileSync('tar', ['-xf', FIXTURE_TAR, '-C', dir]);
  return join(dir, 'demo');
}

/** Extracts a fresh copy into a new directory `<parent>/<name>`; returns the repository root. */
export function freshFixture(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir);
  return extractFixture(dir);
}

/** The fixture's snapshot ids (see shared/fixtures/README.md). */
export const FIXTURE_IDS = {
  first: '1795263420442-3f317e6c',
  second: '1795263420606-dff34399',
  feature: '1795263420717-1d866d43',
  chain: '1795263420801-4715ac34',
} as const;
