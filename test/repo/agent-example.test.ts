/** The README's agent example: snapshot before each step, restore when the step fails. */
import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Repository } from '../../src/index.js';
import { freshRepo, tempDir } from '../support/repo.js';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('agent');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('README agent example', () => {
  it('keeps a successful step and rolls a failed one back', async () => {
    const { root } = await freshRepo(tmp, 'agent');
    const main = join(root, 'main');
    await writeFile(join(main, 'config.txt'), 'v1');
    const { repository: repo, worktree } = await Repository.openWorktree(main, { env: {} });

    async function step(name: string, run: () => Promise<void>): Promise<void> {
      const before = await repo.snapshot({ worktree, note: `before ${name}` });
      try {
        await run();
      } catch (err) {
        await repo.restore({ worktree, ref: before.snapshot_id, discard: true });
        throw err;
      }
    }

    await step('good edit', async () => {
      await writeFile(join(main, 'config.txt'), 'v2');
    });
    await expect(
      step('bad edit', async () => {
        await writeFile(join(main, 'config.txt'), 'broken');
        await unlink(join(main, 'config.txt'));
        await writeFile(join(main, 'junk.tmp'), 'partial output');
        throw new Error('tool failed');
      }),
    ).rejects.toThrow('tool failed');
    expect(await readFile(join(main, 'config.txt'), 'utf8')).toBe('v2');
    await expect(readFile(join(main, 'junk.tmp'))).rejects.toMatchObject({ code: 'ENOENT' });
    const status = await repo.status(worktree);
    expect(status).toMatchObject({ clean: true, detached: false });
    expect((await repo.history({ worktree })).map((d) => d.note)).toEqual(['before bad edit', 'before good edit']);
  });
});
