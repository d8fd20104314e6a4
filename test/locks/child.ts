/**
 * A separate process taking locks, for the lock tests (run with `node --import tsx`).
 *
 *   hold <root> wt|repo <names> <command>   take the lock(s), print "held", then wait forever
 *   exit <root> wt|repo <names> <command>   take the lock(s), then process.exit(7) inside
 *   run <root> wt|repo <names> <log> <go> <holdMs> <rounds>
 *       print "ready", wait for the file <go>, then <rounds> times: take the lock(s), append
 *       "+<tag>" to <log>, sleep <holdMs>, append "-<tag>", release. Exit 0, or 3 on E_LOCKED.
 *
 * <names> is a comma-separated list of worktree names (ignored for repo). The wait timeout
 * comes from JVS_LOCK_TIMEOUT_MS.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { isJvsError } from '../../src/errors.js';
import { withRepoLock, withWorktreeLocks } from '../../src/locks/index.js';
import { RepoLayout } from '../../src/repo/layout.js';

const [mode, root, kind, namesArg, ...rest] = process.argv.slice(2);
const layout = new RepoLayout(root!);
const names = namesArg!.split(',');

function locked<T>(command: string, fn: () => Promise<T>): Promise<T> {
  return kind === 'repo' ? withRepoLock(layout, command, fn) : withWorktreeLocks(layout, names, command, fn);
}

try {
  if (mode === 'hold') {
    await locked(rest[0]!, async () => {
      process.stdout.write('held\n');
      await new Promise(() => setInterval(() => undefined, 1000));
    });
  } else if (mode === 'exit') {
    await locked(rest[0]!, async () => process.exit(7));
  } else {
    const [log, go, holdMs, rounds] = rest as [string, string, string, string];
    const tag = `${kind}:${namesArg}:${process.pid}`;
    process.stdout.write('ready\n');
    while (!existsSync(go)) await sleep(5);
    for (let i = 0; i < Number(rounds); i++) {
      await locked(`jvs test ${tag}`, async () => {
        appendFileSync(log, `+${tag}\n`);
        await sleep(Number(holdMs));
        appendFileSync(log, `-${tag}\n`);
      });
    }
  }
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = isJvsError(e) && e.code === 'E_LOCKED' ? 3 : 1;
}
