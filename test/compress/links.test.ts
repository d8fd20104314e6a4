/** Symlink resolution inside a snapshot (src/compress/links.ts), on a tree given as a map. */
import { describe, expect, it } from 'vitest';

import { resolveLinks, type LinkNode } from '../../src/compress/index.js';

const tree = new Map<string, LinkNode>([
  ['a.txt', { kind: 'file' }],
  ['sub', { kind: 'dir' }],
  ['sub/b.txt', { kind: 'file' }],
  ['sub/up', { kind: 'symlink', target: Buffer.from('../a.txt') }],
  ['dirlink', { kind: 'symlink', target: Buffer.from('sub') }],
  ['abs', { kind: 'symlink', target: Buffer.from('/etc/passwd') }],
  ['outdir', { kind: 'symlink', target: Buffer.from('/etc') }],
  ['above', { kind: 'symlink', target: Buffer.from('../x') }],
  ['loop1', { kind: 'symlink', target: Buffer.from('loop2') }],
  ['loop2', { kind: 'symlink', target: Buffer.from('loop1') }],
  ['nowhere', { kind: 'symlink', target: Buffer.from('missing') }],
  ['fifo', { kind: 'other' }],
]);
const lookup = (p: Buffer): LinkNode | undefined => tree.get(p.toString());
const resolve = async (p: string): Promise<string> => {
  const r = await resolveLinks(Buffer.from(p), lookup);
  return 'path' in r ? `${r.path.toString()} (${r.node.kind})` : r.problem;
};

describe('resolveLinks', () => {
  it.each([
    ['a.txt', 'a.txt (file)'],
    ['sub/up', 'a.txt (file)'],
    ['dirlink/b.txt', 'sub/b.txt (file)'],
    ['dirlink/up', 'a.txt (file)'],
    ['dirlink/../a.txt', 'a.txt (file)'],
    ['fifo', 'fifo (other)'],
    ['sub', 'directory'],
    ['dirlink', 'directory'],
    ['', 'directory'],
    ['nope', 'missing'],
    ['a.txt/x', 'missing'],
    ['nowhere', 'dangling'],
    ['dirlink/nope', 'dangling'],
    ['abs', 'escape'],
    ['outdir/passwd', 'escape'],
    ['above', 'escape'],
    ['loop1', 'loop'],
  ])('%j → %s', async (p, want) => {
    expect(await resolve(p)).toBe(want);
  });
});
