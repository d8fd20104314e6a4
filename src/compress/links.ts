/**
 * Following symlinks inside a snapshot: component by component, at most 40 links, never
 * leaving its root (CONTRACT §2.15 `cat`; §3.9 step 3 reads a relative's symlink through it, as
 * v8.2 did). A symlink anywhere in the path counts, not only the last component, and `..` is
 * taken after the link before it is followed, as the kernel does. One algorithm for every view
 * of a tree — the disk, a logical tree, a relative's records — given as `lookup`.
 */

/** What resolution needs to know of an entry. */
export interface LinkNode {
  kind: 'dir' | 'file' | 'symlink' | 'other';
  target?: Buffer;
}

export type Resolution<N extends LinkNode = LinkNode> =
  /** The entry reached (not a symlink, not a directory). */
  | { path: Buffer; node: N }
  /** `missing`: the path does not exist; `dangling`: a followed link leads nowhere; `escape`: out of the root. */
  | { problem: 'missing' | 'dangling' | 'directory' | 'escape' | 'loop' };

const MAX_LINKS = 40;
const SLASH = 0x2f;

function components(p: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i < p.length && p[i] !== SLASH) continue;
    if (i > start) out.push(p.subarray(start, i));
    start = i + 1;
  }
  return out;
}

export async function resolveLinks<N extends LinkNode>(
  start: Buffer,
  lookup: (path: Buffer) => Promise<N | undefined> | N | undefined,
): Promise<Resolution<N>> {
  const todo = components(start);
  const done: Buffer[] = [];
  let links = 0;
  for (let c = todo.shift(); c !== undefined; c = todo.shift()) {
    if (c.equals(Buffer.from('.'))) continue;
    if (c.equals(Buffer.from('..'))) {
      if (done.pop() === undefined) return { problem: 'escape' };
      continue;
    }
    const path = Buffer.concat([...done.flatMap((d) => [d, Buffer.from('/')]), c]);
    const node = await lookup(path);
    if (!node || (todo.length > 0 && node.kind !== 'dir' && node.kind !== 'symlink')) {
      return { problem: links === 0 ? 'missing' : 'dangling' };
    }
    if (node.kind === 'symlink') {
      const target = node.target ?? Buffer.alloc(0);
      if (++links > MAX_LINKS) return { problem: 'loop' };
      if (target[0] === SLASH) return { problem: 'escape' };
      todo.unshift(...components(target));
      continue;
    }
    if (todo.length > 0) {
      done.push(c);
      continue;
    }
    if (node.kind === 'dir') return { problem: 'directory' };
    return { path, node };
  }
  // Only directories (or nothing) were named: the root or a directory inside it.
  return { problem: 'directory' };
}
