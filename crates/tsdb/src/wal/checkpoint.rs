//! Checkpoints (`wal/checkpoint.NNNNNNNN/`) hold what is still needed from segments up to
//! NNNNNNNN, so that those segments can be deleted after the head is truncated.

use super::{WalError, io, list_segments, segment_name};
use std::path::{Path, PathBuf};

const PREFIX: &str = "checkpoint.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Last segment index the checkpoint covers.
    pub index: u32,
    pub dir: PathBuf,
}

/// The newest complete checkpoint in the WAL directory.
pub fn last_checkpoint(wal_dir: &Path) -> Result<Option<Checkpoint>, WalError> {
    let mut best: Option<Checkpoint> = None;
    for e in std::fs::read_dir(wal_dir).map_err(io(format!("listing {}", wal_dir.display())))? {
        let Ok(e) = e else { continue };
        let name = e.file_name();
        let Some(s) = name.to_str() else { continue };
        let Some(n) = s.strip_prefix(PREFIX) else { continue };
        if n.len() != 8 {
            continue;
        }
        let Ok(index) = n.parse::<u32>() else { continue };
        if best.as_ref().is_none_or(|b| index > b.index) {
            best = Some(Checkpoint { index, dir: e.path() });
        }
    }
    Ok(best)
}

/// Writes `records` as checkpoint `index`, then deletes segments ≤ `index` and older
/// checkpoints.
pub fn write_checkpoint(wal_dir: &Path, index: u32, records: &[Vec<u8>]) -> Result<Checkpoint, WalError> {
    let name = format!("{PREFIX}{index:08}");
    let tmp = wal_dir.join(format!("{name}.tmp"));
    let dst = wal_dir.join(&name);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(format!("removing {}", tmp.display())))?;
    }
    {
        let w = super::Wal::open(&tmp, super::DEFAULT_SEGMENT_SIZE)?.with_compression(true);
        for chunk in records.chunks(1000) {
            w.log(chunk)?;
        }
        w.close()?;
    }
    if dst.exists() {
        std::fs::remove_dir_all(&dst).map_err(io(format!("removing {}", dst.display())))?;
    }
    std::fs::rename(&tmp, &dst).map_err(io(format!("renaming {}", tmp.display())))?;
    std::fs::File::open(wal_dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("syncing {}", wal_dir.display())))?;
    for s in list_segments(wal_dir)? {
        if s <= index {
            let p = wal_dir.join(segment_name(s));
            std::fs::remove_file(&p).map_err(io(format!("removing {}", p.display())))?;
        }
    }
    for e in std::fs::read_dir(wal_dir).map_err(io("listing WAL dir"))? {
        let Ok(e) = e else { continue };
        let n = e.file_name().to_string_lossy().to_string();
        if n.starts_with(PREFIX) && n != name {
            std::fs::remove_dir_all(e.path()).map_err(io(format!("removing {n}")))?;
        }
    }
    Ok(Checkpoint { index, dir: dst })
}
