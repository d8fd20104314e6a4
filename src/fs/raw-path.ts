/**
 * Paths of entries by their raw name bytes: the core reports names as bytes relative to a root,
 * and they must reach the file system without being decoded (names need not be UTF-8).
 */

/** `<root>/<rel>` as bytes, for the fs calls that take a Buffer path. */
export function rawPath(root: string, rel: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${root}/`), rel]);
}
