/** Facts about the machine and the build, recorded with every result. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

import { nproc } from './baselines.js';
import { dataRoot, exec, repoRoot } from './util.js';
import { fsType } from './xfs.js';

export interface MachineFacts {
  nproc: number;
  cpu: string;
  shaNi: boolean;
  kernel: string;
  memGiB: number;
  /** Filesystem type of bench/.data (where the ext4/local datasets live). */
  dataFs: string;
  node: string;
  openssl: string;
  coreutils: string;
  /** DAMON kdamonds and their scheme actions (pageout = cold page-cache eviction). */
  damon: string;
  loadavgStart: number[];
  loadavgEnd?: number[];
  git: string;
  /** The native module file and its mtime, if built. */
  nativeModule?: string;
}

function firstLine(s: string): string {
  return s.split('\n')[0]?.trim() ?? '';
}

function damonState(): string {
  const base = '/sys/kernel/mm/damon/admin/kdamonds';
  try {
    const ids = readdirSync(base).filter((d) => /^\d+$/.test(d));
    if (ids.length === 0) return 'none';
    const parts = ids.map((id) => {
      const state = readFileSync(join(base, id, 'state'), 'utf8').trim();
      const actions: string[] = [];
      try {
        for (const c of readdirSync(join(base, id, 'contexts')).filter((d) => /^\d+$/.test(d))) {
          const sdir = join(base, id, 'contexts', c, 'schemes');
          for (const s of readdirSync(sdir).filter((d) => /^\d+$/.test(d))) {
            actions.push(readFileSync(join(sdir, s, 'action'), 'utf8').trim());
          }
        }
      } catch {
        // schemes not readable
      }
      return `kdamond ${id} ${state}${actions.length ? ` (${actions.join(', ')})` : ''}`;
    });
    return parts.join('; ');
  } catch {
    return 'unknown (no /sys/kernel/mm/damon/admin)';
  }
}

export async function machineFacts(): Promise<MachineFacts> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '';
  const git = await exec('git', ['describe', '--always', '--dirty', '--exclude', '*'], { cwd: repoRoot });
  const nativePath = join(repoRoot, 'dist', 'native', 'jvs.linux-x64-gnu.node');
  return {
    nproc,
    cpu: model,
    shaNi: /\bsha_ni\b/.test(flags),
    kernel: firstLine((await exec('uname', ['-r'])).stdout),
    memGiB: Math.round(totalmem() / 2 ** 30),
    dataFs: await fsType(existsSync(dataRoot) ? dataRoot : repoRoot),
    node: process.version,
    openssl: firstLine((await exec('openssl', ['version'])).stdout),
    coreutils: firstLine((await exec('cp', ['--version'])).stdout),
    damon: damonState(),
    loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100),
    git: git.code === 0 ? git.stdout.trim() : 'unknown',
    ...(existsSync(nativePath) ? { nativeModule: describeNative(nativePath) } : {}),
  };
}

/**
 * `<path relative to the repo> (built <mtime>, release|DEBUG build)`. A debug build is told by
 * its `.debug_info` section (the release profile strips symbols) and is 10–50× slower: results
 * from it say nothing about the native core.
 */
export function describeNative(path: string): string {
  try {
    const st = statSync(path);
    const debug = elfSectionNames(readFileSync(path)).includes('.debug_info');
    const rel = path.startsWith(`${repoRoot}/`) ? path.slice(repoRoot.length + 1) : path;
    return `${rel} (built ${st.mtime.toISOString()}, ${debug ? 'DEBUG build (has .debug_info) — not representative' : 'release build'})`;
  } catch {
    return `${path} (unreadable)`;
  }
}

/** Section names of a little-endian ELF64 file (empty for anything else). */
export function elfSectionNames(b: Buffer): string[] {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return [];
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  if (shoff === 0 || shstrndx >= shnum || shoff + shnum * shentsize > b.length) return [];
  const strOff = Number(b.readBigUInt64LE(shoff + shstrndx * shentsize + 0x18));
  const names: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const nameOff = strOff + b.readUInt32LE(shoff + i * shentsize);
    const end = b.indexOf(0, nameOff);
    if (nameOff >= b.length || end < 0) continue;
    names.push(b.toString('latin1', nameOff, end));
  }
  return names;
}
