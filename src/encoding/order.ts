/** Byte-wise (UTF-8) string order, as Go compares strings: the order of every sorted list we write. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
