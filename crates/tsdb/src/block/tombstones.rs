//! The `tombstones` file of a block: magic 0x0130BA30, version byte 1, then one entry per
//! deleted interval, `series ref uvarint | mint varint | maxt varint`, and a CRC32C of the
//! entries alone (the version byte is outside the checksum, as in Prometheus).

use crate::encoding::{Decbuf, Encbuf, crc32};
use crate::error::{Error, Result};
use crate::series::{Interval, add_interval};
use std::collections::BTreeMap;
use std::path::Path;

pub const MAGIC_TOMBSTONES: u32 = 0x0130_BA30;
pub const TOMBSTONES_V1: u8 = 1;
pub const FILE_NAME: &str = "tombstones";

/// Deleted intervals by series id.
pub type Tombstones = BTreeMap<u64, Vec<Interval>>;

pub fn encode(t: &Tombstones) -> Vec<u8> {
    let mut body = Encbuf::new();
    body.put_byte(TOMBSTONES_V1);
    for (r, ivs) in t {
        for iv in ivs {
            body.put_uvarint(*r);
            body.put_varint(iv.mint);
            body.put_varint(iv.maxt);
        }
    }
    let mut out = MAGIC_TOMBSTONES.to_be_bytes().to_vec();
    out.extend_from_slice(&body.b);
    out.extend_from_slice(&crc32(&body.b[1..]).to_be_bytes());
    out
}

pub fn decode(b: &[u8], path: &str) -> Result<Tombstones> {
    let bad = |msg: &str| Error::Tombstones {
        path: path.to_string(),
        msg: msg.to_string(),
    };
    if b.len() < 9 || u32::from_be_bytes([b[0], b[1], b[2], b[3]]) != MAGIC_TOMBSTONES {
        return Err(bad("invalid magic number"));
    }
    let body = &b[4..b.len() - 4];
    let s = &b[b.len() - 4..];
    if crc32(&body[1..]) != u32::from_be_bytes([s[0], s[1], s[2], s[3]]) {
        return Err(bad("checksum mismatch"));
    }
    let mut d = Decbuf::new(body);
    if d.byte().map_err(|_| bad("empty"))? != TOMBSTONES_V1 {
        return Err(bad("unsupported version"));
    }
    let mut out = Tombstones::new();
    while !d.is_empty() {
        let r = d.uvarint().map_err(|e| bad(&e.to_string()))?;
        let mint = d.varint().map_err(|e| bad(&e.to_string()))?;
        let maxt = d.varint().map_err(|e| bad(&e.to_string()))?;
        add_interval(out.entry(r).or_default(), Interval::new(mint, maxt));
    }
    Ok(out)
}

pub fn read(dir: &Path) -> Result<Tombstones> {
    let p = dir.join(FILE_NAME);
    match std::fs::read(&p) {
        Ok(b) => decode(&b, &p.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Tombstones::new()),
        Err(e) => Err(Error::io(format!("reading {}", p.display()))(e)),
    }
}

pub fn write(dir: &Path, t: &Tombstones) -> Result<()> {
    crate::fsutil::write_atomic(&dir.join("tombstones.tmp"), &dir.join(FILE_NAME), &encode(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_bytes_and_round_trip() {
        let e = encode(&Tombstones::new());
        assert_eq!(&e[..5], &[0x01, 0x30, 0xBA, 0x30, 0x01]);
        assert_eq!(e.len(), 9);
        let mut t = Tombstones::new();
        t.insert(3, vec![Interval::new(-5, 10), Interval::new(20, 30)]);
        let enc = encode(&t);
        // Two (ref, mint, maxt) entries: 3, zigzag(-5)=9, zigzag(10)=20, then 3, 40, 60.
        assert_eq!(&enc[5..enc.len() - 4], &[3, 9, 20, 3, 40, 60]);
        let got = decode(&enc, "x").unwrap();
        assert_eq!(got, t);
        let mut bad = encode(&t);
        bad[6] ^= 1;
        assert!(decode(&bad, "x").is_err());
    }
}
