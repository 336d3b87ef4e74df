//! `meta.json` of a block, in Prometheus's layout (version 1).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_series: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockDesc {
    pub ulid: String,
    #[serde(rename = "minTime")]
    pub min_time: i64,
    #[serde(rename = "maxTime")]
    pub max_time: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Compaction {
    pub level: u32,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
}

/// Block metadata. `max_time` is exclusive: the block holds samples in `[min_time, max_time)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockMeta {
    pub ulid: String,
    pub min_time: i64,
    pub max_time: i64,
    #[serde(default)]
    pub stats: BlockStats,
    pub compaction: Compaction,
    pub version: u32,
}

impl BlockMeta {
    pub fn read(dir: &Path) -> Result<Self> {
        let p = dir.join("meta.json");
        let b = std::fs::read(&p).map_err(Error::io(format!("reading {}", p.display())))?;
        let m: BlockMeta = serde_json::from_slice(&b).map_err(|e| Error::Block {
            dir: dir.display().to_string(),
            msg: format!("meta.json: {e}"),
        })?;
        if m.version != 1 {
            return Err(Error::Block {
                dir: dir.display().to_string(),
                msg: format!("unsupported meta.json version {}", m.version),
            });
        }
        Ok(m)
    }

    /// Writes `meta.json` through a temporary file so that readers never see half of it.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let p = dir.join("meta.json");
        let tmp = dir.join("meta.json.tmp");
        let body = serde_json::to_vec_pretty(self).map_err(|e| Error::Block {
            dir: dir.display().to_string(),
            msg: format!("encoding meta.json: {e}"),
        })?;
        crate::fsutil::write_atomic(&tmp, &p, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_matches_prometheus() {
        let m = BlockMeta {
            ulid: "01BKGV7JBM69T2G1BGBGM6KB12".into(),
            min_time: 0,
            max_time: 7_200_000,
            stats: BlockStats {
                num_samples: 10,
                num_series: 2,
                num_chunks: 2,
                num_tombstones: 0,
            },
            compaction: Compaction {
                level: 1,
                sources: vec!["01BKGV7JBM69T2G1BGBGM6KB12".into()],
                parents: vec![],
            },
            version: 1,
        };
        let v: serde_json::Value = serde_json::to_value(&m).unwrap();
        assert_eq!(v["minTime"], 0);
        assert_eq!(v["maxTime"], 7_200_000);
        assert_eq!(v["stats"]["numSamples"], 10);
        assert_eq!(v["compaction"]["level"], 1);
        assert_eq!(v["version"], 1);
        let back: BlockMeta = serde_json::from_value(v).unwrap();
        assert_eq!(back, m);
    }
}
