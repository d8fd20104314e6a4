/** CRC-32 (IEEE, reflected polynomial 0xEDB88320, zlib's), a table lookup per byte. */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The checksum of the pieces as if joined (NativeCore.crc32). */
export function crc32(pieces: readonly Buffer[]): number {
  let c = 0xffffffff;
  for (const p of pieces) for (let i = 0; i < p.length; i++) c = TABLE[(c ^ p[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
