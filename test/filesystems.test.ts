// Tests of the test-filesystem setup itself (test/setup/filesystems.ts, test/support/*):
// each provided filesystem is what it claims, reflink works where it must, JuiceFS exposes its
// control file, and the setup script leaves no mount or loop device behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { FS_NAMES, freshDir, fsTarget, juicefsControlFile, juicefsDetails } from './support/filesystems.js';
import type { FsName } from './support/filesystems.js';

const SCRIPT = fileURLToPath(new URL('./support/jvs-test-fs.sh', import.meta.url));

const EXPECTED: Record<FsName, { mountType: string; statfsType: string; reflink: boolean }> = {
  xfs: { mountType: 'xfs', statfsType: 'xfs', reflink: true },
  btrfs: { mountType: 'btrfs', statfsType: 'btrfs', reflink: true },
  // ext2/3/4 share one statfs magic; /proc/mounts (findmnt) tells ext4 apart
  ext4: { mountType: 'ext4', statfsType: 'ext2/ext3', reflink: false },
  // FUSE: f_type is the generic FUSE magic; the mount table says fuse.juicefs
  juicefs: { mountType: 'fuse.juicefs', statfsType: 'fuseblk', reflink: false },
};

const CONTROL_INODE = 0x7fffffff00000002n;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
}

/** Mount root of the filesystem holding `dir` (findmnt walks /proc/self/mountinfo). */
function mountRoot(dir: string): string {
  return sh('findmnt', ['-n', '-o', 'TARGET', '-T', dir]);
}

describe('environment handed to the test workers', () => {
  it('every filesystem has either a directory or a skip reason', () => {
    for (const fs of FS_NAMES) {
      const v = `JVS_TEST_${fs.toUpperCase()}`;
      const dir = process.env[v];
      const skip = process.env[`${v}_SKIP`];
      expect(Boolean(dir) || Boolean(skip), `${v} or ${v}_SKIP must be set in the worker`).toBe(true);
    }
  });

  it('provide/inject carries the same values as process.env', () => {
    const provided = inject('jvsTestFs');
    expect(provided).toBeTypeOf('object');
    for (const fs of FS_NAMES) {
      const v = `JVS_TEST_${fs.toUpperCase()}`;
      expect(provided[v]).toBe(process.env[v]);
      expect(provided[`${v}_SKIP`]).toBe(process.env[`${v}_SKIP`]);
    }
  });
});

describe('fsTarget', () => {
  it('throws in CI when a filesystem is missing, unless JVS_ALLOW_FS_SKIP allows it', () => {
    vi.stubEnv('JVS_TEST_BTRFS', '');
    vi.stubEnv('JVS_TEST_BTRFS_SKIP', 'no btrfs here (test)');
    vi.stubEnv('JVS_ALLOW_FS_SKIP', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      vi.stubEnv('CI', 'true');
      expect(() => fsTarget('btrfs')).toThrow(/required in CI.*no btrfs here/);
      vi.stubEnv('JVS_ALLOW_FS_SKIP', 'juicefs,btrfs');
      expect(fsTarget('btrfs')).toEqual({ name: 'btrfs', skipReason: 'no btrfs here (test)' });
      vi.stubEnv('JVS_ALLOW_FS_SKIP', 'juicefs');
      expect(() => fsTarget('btrfs')).toThrow(/required in CI/);
      vi.stubEnv('JVS_ALLOW_FS_SKIP', '1');
      expect(fsTarget('btrfs').skipReason).toBe('no btrfs here (test)');
      vi.stubEnv('CI', '');
      vi.stubEnv('JVS_ALLOW_FS_SKIP', '');
      expect(fsTarget('btrfs')).toEqual({ name: 'btrfs', skipReason: 'no btrfs here (test)' });
    } finally {
      warn.mockRestore();
      vi.unstubAllEnvs();
    }
  });

  it('rejects a configured directory that does not exist', () => {
    vi.stubEnv('JVS_TEST_EXT4', '/nonexistent/jvs-test-dir');
    try {
      expect(() => fsTarget('ext4')).toThrow(/not a directory/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

for (const name of FS_NAMES) {
  const t = fsTarget(name);
  const want = EXPECTED[name];

  describe.skipIf(!t.dir)(`${name} target`, () => {
    it(`is really ${want.mountType}`, () => {
      const dir = t.dir as string;
      expect(sh('findmnt', ['-n', '-o', 'FSTYPE', '-T', dir])).toBe(want.mountType);
      expect(sh('stat', ['-f', '-c', '%T', dir])).toBe(want.statfsType);
    });

    it('is writable and gives each caller a fresh directory', async () => {
      const a = await freshDir(t, 'write');
      const b = await freshDir(t, 'write');
      expect(a).not.toBe(b);
      expect(dirname(a)).toBe(t.dir);
      writeFileSync(join(a, 'f'), 'hello');
      expect(readFileSync(join(a, 'f'), 'utf8')).toBe('hello');
    });

    it(want.reflink ? 'supports reflink (cp --reflink=always)' : 'has no FICLONE reflink', async () => {
      const d = await freshDir(t, 'reflink');
      writeFileSync(join(d, 'src'), 'x'.repeat(65536));
      const r = spawnSync('cp', ['--reflink=always', join(d, 'src'), join(d, 'dst')], { encoding: 'utf8' });
      if (want.reflink) {
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(readFileSync(join(d, 'dst'), 'utf8')).toBe('x'.repeat(65536));
      } else {
        expect(r.status).not.toBe(0);
      }
    });

    if (name === 'juicefs') {
      it('exposes the control file in the mount root and in subdirectories', async () => {
        const dir = t.dir as string;
        const root = mountRoot(dir);
        const details = juicefsDetails();
        if (details.mount) expect(root).toBe(details.mount);
        expect(statSync(root, { bigint: true }).ino).toBe(1n);
        const control = juicefsControlFile(root);
        expect(control, `no .jfs.control or .control in ${root}`).toBeDefined();
        const st = statSync(control as string, { bigint: true });
        expect(st.isFile()).toBe(true);
        expect(st.ino).toBe(CONTROL_INODE);
        // lookup of the control name works in any directory of the mount
        const sub = await freshDir(t, 'ctl');
        const fromSub = juicefsControlFile(sub);
        expect(fromSub).toBeDefined();
        expect(statSync(fromSub as string, { bigint: true }).ino).toBe(CONTROL_INODE);
      });

      it.skipIf(process.getuid?.() !== 0)('serves its version in .config (or .jfs.config) to root', () => {
        const root = mountRoot(t.dir as string);
        const cfg = ['.jfs.config', '.config'].map((n) => join(root, n)).find((p) => existsSync(p));
        expect(cfg).toBeDefined();
        const parsed = JSON.parse(readFileSync(cfg as string, 'utf8')) as { Version?: unknown };
        expect(parsed.Version).toMatch(/^\d+\.\d+\.\d+/);
        const bin = juicefsDetails().bin;
        if (bin) {
          // the mount process is the binary we were told about
          const v = sh(bin, ['version']).replace(/^juicefs version /, '');
          expect(parsed.Version).toBe(v);
        }
      });
    }
  });
}

// The setup's own guarantee: `up` + `down` leave no mount, loop device or process behind, and a
// run whose owner died is cleaned by the next one. Needs root (loop devices) and xfsprogs.
const canLoop = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v mkfs.xfs && command -v losetup']).status === 0;

describe.skipIf(!canLoop)('jvs-test-fs.sh lifecycle', () => {
  // a private root, so this test's clean-stale never looks at the real run's state dirs
  let root = '';
  let onlyXfs: NodeJS.ProcessEnv = {};
  beforeAll(() => {
    root = mkdtempSync(join(process.env.JVS_TEST_FS_ROOT ?? '/tmp', 'jvs-fs-lifecycle-'));
    onlyXfs = { ...lifecycleEnv, JVS_TEST_FS_ROOT: root };
  });
  afterAll(() => {
    if (!root) return;
    // even after a failed assertion: tear down whatever this block left
    for (const d of readdirSync(root)) if (d.startsWith('jvs-testfs.')) spawnSync('bash', [SCRIPT, 'down', join(root, d)]);
    spawnSync('rmdir', [root]);
  });
  const lifecycleEnv = {
    ...process.env,
    JVS_TEST_XFS: '',
    JVS_TEST_XFS_SKIP: '',
    JVS_TEST_BTRFS: '',
    JVS_TEST_BTRFS_SKIP: 'not needed here',
    JVS_TEST_EXT4: '',
    JVS_TEST_EXT4_SKIP: 'not needed here',
    JVS_TEST_JUICEFS: '',
    JVS_TEST_JUICEFS_SKIP: 'not needed here',
    JVS_TEST_FS_SIZE: '512M',
  };
  const leftovers = (dir: string): string[] => [
    ...readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(dir)),
    ...sh('losetup', ['-n', '-O', 'BACK-FILE', '-l'])
      .split('\n')
      .filter((l) => l.includes(dir)),
  ];

  it('up then down leaves nothing behind', () => {
    const state = mkdtempSync(join(root, 'jvs-testfs.'));
    const up = spawnSync('bash', [SCRIPT, 'up', '--state', state, '--owner-pid', String(process.pid)], {
      env: onlyXfs,
      encoding: 'utf8',
    });
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain(`export JVS_TEST_XFS='${state}/mnt/xfs/jvs-test'`);
    expect(up.stdout).toContain("export JVS_TEST_BTRFS_SKIP='not needed here'");
    expect(leftovers(state).length).toBeGreaterThan(0);
    const down = spawnSync('bash', [SCRIPT, 'down', state], { encoding: 'utf8' });
    expect(down.status, down.stderr).toBe(0);
    expect(leftovers(state)).toEqual([]);
    expect(existsSync(state)).toBe(false);
  });

  it('clean-stale removes a run whose owner process is gone, and keeps live ones', () => {
    const dead = spawnSync('true');
    expect(dead.pid).toBeGreaterThan(0);
    const stale = mkdtempSync(join(root, 'jvs-testfs.'));
    const live = mkdtempSync(join(root, 'jvs-testfs.'));
    for (const [state, owner] of [
      [stale, dead.pid],
      [live, process.pid],
    ] as const) {
      const up = spawnSync('bash', [SCRIPT, 'up', '--state', state, '--owner-pid', String(owner)], {
        env: onlyXfs,
        encoding: 'utf8',
      });
      expect(up.status, up.stderr).toBe(0);
    }
    // the second `up` already ran clean-stale: the dead owner's run is gone, the live one stays
    expect(existsSync(stale)).toBe(false);
    expect(leftovers(stale)).toEqual([]);
    expect(existsSync(live)).toBe(true);
    const clean = spawnSync('bash', [SCRIPT, 'clean-stale'], { env: onlyXfs, encoding: 'utf8' });
    expect(clean.status, clean.stderr).toBe(0);
    expect(existsSync(join(live, 'mnt/xfs/jvs-test'))).toBe(true);
    const down = spawnSync('bash', [SCRIPT, 'down', live], { encoding: 'utf8' });
    expect(down.status, down.stderr).toBe(0);
    expect(leftovers(live)).toEqual([]);
  });
});
