//! ULIDs name blocks: 48 bits of Unix milliseconds and 80 random bits, in Crockford base32, so
//! that directory names sort by creation time.

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new ULID for the current time.
pub fn new_ulid() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    ulid_from_parts(ms, rand::random::<u128>())
}

/// A ULID from a millisecond timestamp and random bits (only the low 80 are used).
pub fn ulid_from_parts(ms: u64, random: u128) -> String {
    let v: u128 = (u128::from(ms & 0xFFFF_FFFF_FFFF) << 80) | (random & ((1u128 << 80) - 1));
    (0..26)
        .map(|i| ALPHABET[((v >> (125 - 5 * i)) & 31) as usize] as char)
        .collect()
}

/// True for a 26-character Crockford base32 string whose first char keeps it within 128 bits.
pub fn is_ulid(s: &str) -> bool {
    s.len() == 26 && s.as_bytes()[0] <= b'7' && s.bytes().all(|c| ALPHABET.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encoding_and_ordering() {
        assert_eq!(ulid_from_parts(0, 0), "00000000000000000000000000");
        assert_eq!(ulid_from_parts(1, 0), "00000000010000000000000000");
        assert_eq!(ulid_from_parts(u64::MAX, u128::MAX), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        assert!(ulid_from_parts(1000, 5) < ulid_from_parts(1001, 0));
        let u = new_ulid();
        assert!(is_ulid(&u), "{u}");
        assert_ne!(u, new_ulid());
    }
}
