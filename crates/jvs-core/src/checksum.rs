//! The checksum of JVS's own caches (the stat cache's body): CRC-32 (IEEE, zlib's), which finds
//! the damage a cache can suffer — a torn or stale write, a flipped bit — at memory speed. A
//! cache is an optimisation whose loss changes speed, never results, and nothing that could
//! forge it is kept out by a cryptographic digest (whoever can write the cache can write its
//! digest), so it does not pay SHA-256's cost: at a million entries, 100 MB read and written at
//! every snapshot.

/// CRC-32 of the pieces, in order, as if joined.
pub fn crc32<P: AsRef<[u8]>>(pieces: &[P]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in pieces {
        h.update(p.as_ref());
    }
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_check_value() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32::<&[u8]>(&[]), 0);
    }

    #[test]
    fn pieces_are_checksummed_as_joined() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let (a, b) = data.split_at(12_345);
        assert_eq!(crc32(&[a, b]), crc32(&[&data[..]]));
        assert_eq!(crc32(&[a, &[][..], b]), crc32(&[&data[..]]));
    }
}
