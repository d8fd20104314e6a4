/*
 * Named test trees for the native core, shared by the fallback tests and the native/fallback
 * parity tests. Every builder writes into an existing empty directory and sets modes explicitly,
 * so the trees do not depend on the umask. Names are built as bytes where they must be exact.
 */
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';

/** CONTRACT §4 vector and the hash of an empty tree (the SHA-256 of nothing). */
export const CONTRACT_VECTOR_ROOT_HASH = 'fd6b2961012ece43dd298876cc05dfd1887a61f519422cabcc9ebcb85ece093a';
export const EMPTY_TREE_ROOT_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const CONTRACT_VECTOR_LINES = [
  'dir:sub/empty:mode=0755:2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d',
  'dir:sub:mode=0755:ddc6e2b224d0fd821669202258386936fc9ce2899e215eec6322b95f8dd96d6a',
  'file:a.txt:mode=0644,size=5:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
  'file:sub/b.txt:mode=0644,size=1:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
  'symlink:link:mode=0777:18b7cb099a9ea3f50ba899b5ba81e0d377a5f3b16f8f6eeb8b3e58cd4692b993',
];

type Name = string | Buffer;

/** dir + '/' + the parts, as bytes, so that non-UTF-8 parts survive. */
export function under(dir: string, ...parts: Name[]): Buffer {
  const out: Buffer[] = [Buffer.from(dir)];
  for (const p of parts) out.push(Buffer.from('/'), Buffer.from(p));
  return Buffer.concat(out);
}

async function file(dir: string, rel: Name, content: string | Buffer, mode = 0o644): Promise<void> {
  const p = under(dir, rel);
  await writeFile(p, content);
  await chmod(p, mode);
}

async function folder(dir: string, rel: Name, mode = 0o755): Promise<void> {
  const p = under(dir, rel);
  await mkdir(p);
  await chmod(p, mode);
}

/**
 * Sets an entry's mtime (and atime) to the nanosecond with touch(1), since Node's utimes stops at
 * the microsecond. Arguments reach the child as UTF-8, so path must be a valid UTF-8 name.
 */
export function setTimeNs(path: string, ns: bigint): void {
  const stamp = `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  execFileSync('touch', ['-h', '-d', stamp, path]);
}

/** CONTRACT §4 vector: a.txt, sub/, sub/b.txt, sub/empty/, link → a.txt. */
export async function buildContractVectorTree(dir: string): Promise<void> {
  await file(dir, 'a.txt', 'hello');
  await folder(dir, 'sub');
  await file(dir, 'sub/b.txt', 'x');
  await folder(dir, 'sub/empty');
  await symlink('a.txt', under(dir, 'link'));
}

/**
 * Names a hash must keep raw and sort byte-wise: `:`, newline, tab, spaces, é composed (NFC) and
 * decomposed (NFD) as two files, `/` vs `-` vs `.` vs `:` ordering, `.READY` markers (a file, and
 * a directory whose child is still hashed), empty directories, a dangling symlink and symlink
 * loops (never followed).
 */
export async function buildAwkwardNamesTree(dir: string): Promise<void> {
  await file(dir, 'colon:name.txt', 'colon');
  await file(dir, 'new\nline.txt', 'newline');
  await file(dir, 'tab\there', 'tab');
  await file(dir, ' leading space', 'lead');
  await file(dir, 'trailing space ', 'trail');
  await file(dir, 'caf\u00e9', 'nfc');
  await file(dir, 'cafe\u0301', 'nfd');
  await folder(dir, 'dir:colon');
  await file(dir, 'dir:colon/x', 'x');
  await folder(dir, 'order');
  await folder(dir, 'order/a');
  await file(dir, 'order/a/b', 'b');
  await file(dir, 'order/a-b', 'dash');
  await file(dir, 'order/a.b', 'dot');
  await file(dir, 'order/a:b', 'colon');
  await folder(dir, 'empty-dir');
  await folder(dir, 'nested');
  await folder(dir, 'nested/empty');
  await file(dir, '.READY', 'marker');
  await folder(dir, 'keep');
  await folder(dir, 'keep/.READY');
  await file(dir, 'keep/.READY/inner.txt', 'inner');
  await symlink('does/not/exist', under(dir, 'dangling'));
  await symlink('loop-b', under(dir, 'loop-a'));
  await symlink('loop-a', under(dir, 'loop-b'));
  await symlink('.', under(dir, 'self'));
  await symlink('..', under(dir, 'nested/up'));
}

/** Names (and a symlink target) that are not valid UTF-8; x\xff and x\xfe decode to the same string. */
export const NON_UTF8 = {
  ff: Buffer.from([0x78, 0xff]),
  fe: Buffer.from([0x78, 0xfe]),
  dir: Buffer.from([0xc3, 0x28]),
  latin1: Buffer.from([0x63, 0x61, 0x66, 0xe9]),
} as const;

export async function buildNonUtf8NamesTree(dir: string): Promise<void> {
  await file(dir, NON_UTF8.ff, 'ff');
  await file(dir, NON_UTF8.fe, 'fe');
  await folder(dir, NON_UTF8.dir);
  await file(dir, Buffer.concat([NON_UTF8.dir, Buffer.from('/'), NON_UTF8.latin1]), 'latin1');
  await symlink(NON_UTF8.ff, under(dir, Buffer.concat([Buffer.from('link-'), NON_UTF8.fe])));
}

/** `depth` nested directories `d/d/…`, with a file and a symlink at the bottom. */
export async function buildDeepTree(dir: string, depth: number): Promise<void> {
  let rel = '';
  for (let i = 0; i < depth; i++) {
    rel = rel === '' ? 'd' : `${rel}/d`;
    await folder(dir, rel);
  }
  await file(dir, `${rel}/bottom.txt`, 'bottom');
  await symlink('bottom.txt', under(dir, `${rel}/link`));
}

/**
 * Permission bits a clone must reproduce exactly (setuid, setgid and sticky included) and
 * nanosecond mtimes, set after the children so the directories keep theirs.
 */
interface ModesEntry {
  path: string;
  kind: 'dir' | 'file' | 'symlink';
  mode: number;
}

export const MODES_TREE: ReadonlyArray<ModesEntry & { mtimeNs: bigint }> = ([
  { path: 'f0600', kind: 'file', mode: 0o600 },
  { path: 'f0640', kind: 'file', mode: 0o640 },
  { path: 'f0755', kind: 'file', mode: 0o755 },
  { path: 'f0444', kind: 'file', mode: 0o444 },
  { path: 'f4755', kind: 'file', mode: 0o4755 },
  { path: 'd0700', kind: 'dir', mode: 0o700 },
  { path: 'd0700/inner', kind: 'file', mode: 0o600 },
  { path: 'd0750', kind: 'dir', mode: 0o750 },
  { path: 'd2775', kind: 'dir', mode: 0o2775 },
  { path: 'd2775/child', kind: 'dir', mode: 0o755 },
  { path: 'd2775/child/file', kind: 'file', mode: 0o644 },
  { path: 'd1777', kind: 'dir', mode: 0o1777 },
  { path: 'd0555', kind: 'dir', mode: 0o555 },
  { path: 'd0555/file', kind: 'file', mode: 0o444 },
  { path: 'link', kind: 'symlink', mode: 0o777 },
  // A fraction that a plain seconds-as-double conversion lands one microsecond short of.
] satisfies ModesEntry[]).map((e, i) => ({ ...e, mtimeNs: 1_734_217_410_473_743_653n + BigInt(i) * 1_000_000_001n }));

export async function buildModesTree(dir: string): Promise<void> {
  // Created writable; the final modes go on deepest first, after every child exists.
  for (const e of MODES_TREE) {
    if (e.kind === 'dir') await mkdir(under(dir, e.path), { mode: 0o700 });
    else if (e.kind === 'file') await writeFile(under(dir, e.path), `content of ${e.path}\n`);
    else await symlink('f0600', under(dir, e.path));
  }
  for (const e of [...MODES_TREE].reverse()) {
    if (e.kind !== 'symlink') await chmod(under(dir, e.path), e.mode);
    setTimeNs(`${dir}/${e.path}`, e.mtimeNs);
  }
}

/** `a`, `b` and `sub/c` are one inode; `solo` is not. */
export async function buildHardlinksTree(dir: string): Promise<void> {
  await file(dir, 'a', 'shared content');
  await link(under(dir, 'a'), under(dir, 'b'));
  await folder(dir, 'sub');
  await link(under(dir, 'a'), under(dir, 'sub/c'));
  await file(dir, 'solo', 'alone');
}

/** A FIFO at rel (Node cannot make one itself). */
export function addFifo(dir: string, rel: string): void {
  execFileSync('mkfifo', ['-m', '0644', `${dir}/${rel}`]);
}

/** Removes a test tree even where read-only directories would stop a non-root rm. */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await makeWritable(Buffer.from(dir));
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeWritable(dir: Buffer): Promise<void> {
  await chmod(dir, 0o700).catch(() => undefined);
  const entries = await readdir(dir, { encoding: 'buffer', withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.isDirectory()) await makeWritable(Buffer.concat([dir, Buffer.from('/'), e.name]));
  }
}
