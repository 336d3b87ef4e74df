//! WAL record encodings, byte-compatible with Prometheus's `tsdb/record`: series (type 1),
//! float samples (type 2) and tombstones (type 3).

use crate::encoding::{Decbuf, DecodeError, Encbuf};
use obslab_model::{Labels, LabelsBuilder};

pub const TYPE_SERIES: u8 = 1;
pub const TYPE_SAMPLES: u8 = 2;
pub const TYPE_TOMBSTONES: u8 = 3;

/// A series definition: the head's id for it and its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct RefSeries {
    pub r#ref: u64,
    pub labels: Labels,
}

/// A sample for the series with id `ref`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefSample {
    pub r#ref: u64,
    pub t: i64,
    pub v: f64,
}

/// A deleted interval of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefTombstone {
    pub r#ref: u64,
    pub mint: i64,
    pub maxt: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Series(Vec<RefSeries>),
    Samples(Vec<RefSample>),
    Tombstones(Vec<RefTombstone>),
    /// Types this store does not replay (exemplars, histograms, metadata, ...).
    Other(u8),
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("empty record")]
    Empty,
    #[error("decoding record of type {typ}: {source}")]
    Decode {
        typ: u8,
        #[source]
        source: DecodeError,
    },
    #[error("record of type {typ} has {n} trailing bytes")]
    Trailing { typ: u8, n: usize },
}

pub fn encode_series(series: &[RefSeries]) -> Vec<u8> {
    let mut b = Encbuf::new();
    b.put_byte(TYPE_SERIES);
    for s in series {
        b.put_be64(s.r#ref);
        b.put_uvarint(s.labels.len() as u64);
        for l in &s.labels {
            b.put_uvarint_str(&l.name);
            b.put_uvarint_str(&l.value);
        }
    }
    b.b
}

/// Samples are stored relative to the first one: its ref and time as big-endian base, then
/// every sample as `varint ref delta | varint time delta | be64 value bits`.
pub fn encode_samples(samples: &[RefSample]) -> Vec<u8> {
    let mut b = Encbuf::new();
    b.put_byte(TYPE_SAMPLES);
    let Some(first) = samples.first() else { return b.b };
    b.put_be64(first.r#ref);
    b.put_be64(first.t as u64);
    for s in samples {
        b.put_varint(s.r#ref.wrapping_sub(first.r#ref) as i64);
        b.put_varint(s.t.wrapping_sub(first.t));
        b.put_be64(s.v.to_bits());
    }
    b.b
}

pub fn encode_tombstones(ts: &[RefTombstone]) -> Vec<u8> {
    let mut b = Encbuf::new();
    b.put_byte(TYPE_TOMBSTONES);
    for t in ts {
        b.put_be64(t.r#ref);
        b.put_varint(t.mint);
        b.put_varint(t.maxt);
    }
    b.b
}

pub fn decode(rec: &[u8]) -> Result<Record, RecordError> {
    let (&typ, body) = rec.split_first().ok_or(RecordError::Empty)?;
    let mut d = Decbuf::new(body);
    let err = |source| RecordError::Decode { typ, source };
    let r = match typ {
        TYPE_SERIES => {
            let mut out = Vec::new();
            while !d.is_empty() {
                let r = d.be64().map_err(err)?;
                let n = d.uvarint().map_err(err)?;
                let mut lb = LabelsBuilder::default();
                for _ in 0..n {
                    let name = d.uvarint_str().map_err(err)?;
                    let value = d.uvarint_str().map_err(err)?;
                    lb.set(name, value);
                }
                out.push(RefSeries {
                    r#ref: r,
                    labels: lb.build(),
                });
            }
            Record::Series(out)
        }
        TYPE_SAMPLES => {
            let mut out = Vec::new();
            if !d.is_empty() {
                let base_ref = d.be64().map_err(err)?;
                let base_t = d.be64().map_err(err)? as i64;
                while !d.is_empty() {
                    let dr = d.varint().map_err(err)?;
                    let dt = d.varint().map_err(err)?;
                    let v = f64::from_bits(d.be64().map_err(err)?);
                    out.push(RefSample {
                        r#ref: base_ref.wrapping_add(dr as u64),
                        t: base_t.wrapping_add(dt),
                        v,
                    });
                }
            }
            Record::Samples(out)
        }
        TYPE_TOMBSTONES => {
            let mut out = Vec::new();
            while !d.is_empty() {
                out.push(RefTombstone {
                    r#ref: d.be64().map_err(err)?,
                    mint: d.varint().map_err(err)?,
                    maxt: d.varint().map_err(err)?,
                });
            }
            Record::Tombstones(out)
        }
        other => return Ok(Record::Other(other)),
    };
    if !d.is_empty() {
        return Err(RecordError::Trailing { typ, n: d.len() });
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn samples_layout_matches_prometheus() {
        let b = encode_samples(&[
            RefSample {
                r#ref: 7,
                t: 1000,
                v: 1.0,
            },
            RefSample {
                r#ref: 8,
                t: 990,
                v: 2.0,
            },
        ]);
        let mut want = vec![2u8];
        want.extend_from_slice(&7u64.to_be_bytes());
        want.extend_from_slice(&1000u64.to_be_bytes());
        want.extend_from_slice(&[0, 0]);
        want.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
        want.extend_from_slice(&[2, 19]);
        want.extend_from_slice(&2.0f64.to_bits().to_be_bytes());
        assert_eq!(b, want);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[1, 0, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 0, 0, 0, 0, 1, 0]).is_err());
        assert_eq!(decode(&[9, 1, 2]).unwrap(), Record::Other(9));
    }

    proptest! {
        #[test]
        fn round_trips(
            series in proptest::collection::vec((any::<u64>(), "[a-z]{1,5}", "[a-z0-9]{1,8}"), 0..10),
            samples in proptest::collection::vec((any::<u64>(), any::<i64>(), any::<f64>()), 1..50),
            stones in proptest::collection::vec((any::<u64>(), any::<i64>(), any::<i64>()), 0..10),
        ) {
            let rs: Vec<RefSeries> = series.into_iter().map(|(r, n, v)| RefSeries {
                r#ref: r,
                labels: Labels::from_pairs([(n, v), ("__name__".to_string(), "m".to_string())]),
            }).collect();
            prop_assert_eq!(decode(&encode_series(&rs)).unwrap(), Record::Series(rs));
            let ss: Vec<RefSample> = samples.into_iter()
                .map(|(r, t, v)| RefSample { r#ref: r, t, v: if v.is_nan() { 0.0 } else { v } })
                .collect();
            prop_assert_eq!(decode(&encode_samples(&ss)).unwrap(), Record::Samples(ss));
            let ts: Vec<RefTombstone> = stones.into_iter()
                .map(|(r, a, b)| RefTombstone { r#ref: r, mint: a, maxt: b }).collect();
            prop_assert_eq!(decode(&encode_tombstones(&ts)).unwrap(), Record::Tombstones(ts));
        }
    }
}
