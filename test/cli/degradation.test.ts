/**
 * Engine degradation is always reported (CONTRACT §6.2, D8): asking for reflink on a file
 * system that cannot (the local ext4) makes snapshot, restore and fork warn on stderr, add a
 * `degraded` object to their JSON, and (snapshots) record it in our meta.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { jvs } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-degraded-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const REFLINK = { JVS_ENGINE: 'reflink' };
const DEGRADED = { requested_engine: 'reflink-copy', engine: 'copy', reasons: ['reflink'] };
const WARNING = 'warning: engine degraded: requested reflink-copy, used copy (reflink)\n';

describe('engine degradation (§6.2)', () => {
  it('snapshot, restore and fork report a reflink that fell back to copying', () => {
    expect(jvs(['init', 'r'], { cwd: tmp }).status).toBe(0);
    const root = join(tmp, 'r');
    const main = join(root, 'main');
    writeFileSync(join(main, 'a.txt'), 'one');
    const s1 = jvs(['snapshot', 'one', '--json'], { cwd: main, env: REFLINK });
    expect(s1.status).toBe(0);
    expect(s1.stderr).toBe(WARNING);
    const d1 = JSON.parse(s1.stdout) as Record<string, unknown>;
    expect(Object.keys(d1).at(-1)).toBe('degraded');
    expect(d1['degraded']).toEqual(DEGRADED);
    expect(JSON.parse(readFileSync(join(root, '.jvs/ext/meta', `${d1['snapshot_id'] as string}.json`), 'utf8'))).toMatchObject({
      requested_engine: 'reflink-copy',
      engine: 'copy',
      degraded: ['reflink'],
    });
    // The text form warns too, and the descriptor records the engine that did the work.
    writeFileSync(join(main, 'a.txt'), 'two');
    const s2 = jvs(['snapshot', 'two'], { cwd: main, env: REFLINK });
    expect(s2.stderr).toBe(WARNING);
    expect(JSON.parse(jvs(['history', '--json', '-n', '1'], { cwd: main }).stdout)[0].engine).toBe('copy');

    const r = jvs(['restore', 'one', '--json'], { cwd: main, env: REFLINK });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(WARNING);
    const restored = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(restored)[0]).toBe('degraded');
    expect(restored['degraded']).toEqual(DEGRADED);

    const f = jvs(['worktree', 'fork', 'one', 'copy-of-one', '--json'], { cwd: main, env: REFLINK });
    expect(f.status).toBe(0);
    expect(f.stderr).toBe(WARNING);
    expect(JSON.parse(f.stdout)['degraded']).toEqual(DEGRADED);

    // Nothing degraded, nothing said.
    const plain = jvs(['restore', 'HEAD', '--json'], { cwd: main, env: { JVS_ENGINE: 'copy' } });
    expect(plain.stderr).toBe('');
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('degraded');
  });
});
