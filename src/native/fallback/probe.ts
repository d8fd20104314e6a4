import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineProbe } from '../types.js';
import { errnoName, errnoOf, ioError } from './errors.js';
import { checkRoot } from './walk.js';

/**
 * Which engines work inside dir, found by doing it: a small probe file is written there and
 * cloned (FICLONE) and copied; the probe files are always removed. JuiceFS is never usable from
 * the fallback, which cannot speak its clone protocol; the reason says whether dir is on JuiceFS.
 */
export async function probe(dir: string): Promise<EngineProbe[]> {
  await checkRoot(dir);
  const juicefs: EngineProbe = {
    engine: 'juicefs',
    ok: false,
    reason: (await isOnJuicefs(dir)) ? 'fallback cannot speak the JuiceFS protocol' : 'not on a JuiceFS mount',
  };
  const base = join(dir, `.jvs-probe-${process.pid}-${randomBytes(6).toString('hex')}`);
  const made = [base, `${base}.reflink`, `${base}.copy`];
  try {
    try {
      await writeFile(base, 'jvs engine probe\n', { flag: 'wx' });
    } catch (err) {
      const reason = errnoName(err);
      return [{ engine: 'reflink', ok: false, reason }, { engine: 'copy', ok: false, reason }, juicefs];
    }
    return [
      await tryEngine('reflink', () => copyFile(base, `${base}.reflink`, constants.COPYFILE_FICLONE_FORCE)),
      await tryEngine('copy', () => copyFile(base, `${base}.copy`, 0)),
      juicefs,
    ];
  } finally {
    await Promise.all(made.map((p) => rm(p, { force: true }).catch(() => undefined)));
  }
}

async function tryEngine(engine: EngineProbe['engine'], op: () => Promise<void>): Promise<EngineProbe> {
  try {
    await op();
    return { engine, ok: true };
  } catch (err) {
    return { engine, ok: false, reason: errnoName(err) };
  }
}

/** Whether dir lies on a JuiceFS mount, from /proc/self/mountinfo (never, where there is none). */
export async function isOnJuicefs(dir: string): Promise<boolean> {
  let info: Buffer;
  try {
    info = await readFile('/proc/self/mountinfo');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false; // not Linux
    throw ioError(err, 'cannot read', '/proc/self/mountinfo');
  }
  let real: Buffer;
  try {
    real = await realpath(dir, { encoding: 'buffer' });
  } catch (err) {
    throw ioError(err, 'cannot resolve', dir);
  }
  return onJuicefsMount(info, real);
}

/**
 * Whether the mount containing real (the longest mount point that is a path-component prefix of
 * it, CONTRACT §6.1 step 3; the later of equal ones, as it is mounted on top) has a type
 * containing "juicefs". Compared as latin1 strings, i.e. as bytes, as mountinfo stores them.
 */
export function onJuicefsMount(mountinfo: Buffer, real: Buffer): boolean {
  const path = real.toString('latin1');
  let best: { point: string; type: string } | undefined;
  for (const line of mountinfo.toString('latin1').split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    const point = fields[4];
    const type = fields[sep + 1];
    if (sep < 0 || point === undefined || type === undefined) continue;
    const mount = point.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    const contains = mount === '/' || path === mount || path.startsWith(`${mount}/`);
    if (contains && (best === undefined || mount.length >= best.point.length)) best = { point: mount, type };
  }
  return best?.type.toLowerCase().includes('juicefs') ?? false;
}
