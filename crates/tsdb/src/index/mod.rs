//! The block index file (format v2): symbol table, series with chunk metadata, label indices,
//! postings lists, their offset tables and a table of contents, each section CRC32C-checked.

mod reader;
mod writer;

pub use reader::IndexReader;
pub use writer::write_index;

pub const MAGIC_INDEX: u32 = 0xBAAA_D700;
pub const INDEX_FORMAT_V2: u8 = 2;
pub const HEADER_LEN: usize = 5;
pub const TOC_LEN: usize = 6 * 8 + 4;

/// Where one chunk of a series lives and which time range it covers (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMeta {
    pub mint: i64,
    pub maxt: i64,
    pub r#ref: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index I/O on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt index: {0}")]
    Corrupt(String),
    #[error("series are not sorted by labels: {0}")]
    Unsorted(String),
}

impl From<crate::encoding::DecodeError> for IndexError {
    fn from(e: crate::encoding::DecodeError) -> Self {
        IndexError::Corrupt(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use obslab_model::Labels;

    #[test]
    fn write_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index");
        let series = vec![
            (
                Labels::from_pairs([("__name__", "up"), ("job", "a")]),
                vec![
                    ChunkMeta {
                        mint: 0,
                        maxt: 100,
                        r#ref: 8,
                    },
                    ChunkMeta {
                        mint: 101,
                        maxt: 300,
                        r#ref: 60,
                    },
                ],
            ),
            (
                Labels::from_pairs([("__name__", "up"), ("job", "b")]),
                vec![ChunkMeta {
                    mint: 5,
                    maxt: 7,
                    r#ref: 120,
                }],
            ),
        ];
        write_index(&p, &series).unwrap();
        let r = IndexReader::open(&p).unwrap();
        assert_eq!(r.label_names(), vec!["__name__".to_string(), "job".to_string()]);
        assert_eq!(r.label_values("job"), vec!["a".to_string(), "b".to_string()]);
        let all = r.postings("", "").unwrap();
        assert_eq!(all.len(), 2);
        let b = r.postings("job", "b").unwrap();
        assert_eq!(b.len(), 1);
        let (l, c) = r.series(b[0]).unwrap();
        assert_eq!(l, series[1].0);
        assert_eq!(c, series[1].1);
        let (_, c0) = r.series(all[0]).unwrap();
        assert_eq!(c0, series[0].1);
        assert!(r.postings("job", "zzz").unwrap().is_empty());
    }

    #[test]
    fn unsorted_series_rejected_and_corruption_detected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index");
        let a = Labels::from_pairs([("x", "2")]);
        let b = Labels::from_pairs([("x", "1")]);
        assert!(write_index(&p, &[(a.clone(), vec![]), (b, vec![])]).is_err());
        write_index(&p, &[(a, vec![])]).unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        let n = bytes.len();
        bytes[n - 10] ^= 1;
        std::fs::write(&p, bytes).unwrap();
        assert!(IndexReader::open(&p).is_err());
    }
}
