//! Rebuilds the head from the WAL on open: the newest checkpoint first, then every later
//! segment; a damaged tail is truncated and reported.

use crate::error::Result;
use crate::head::Head;
use crate::record::{Record, decode};
use crate::wal::{last_checkpoint, list_segments, read_segment, repair, segment_name};
use std::collections::HashMap;
use std::path::Path;

/// What replay found.
#[derive(Debug, Default, Clone)]
pub struct ReplayReport {
    pub records: u64,
    pub samples: u64,
    pub series: u64,
    pub tombstones: u64,
    /// Samples whose series record was missing.
    pub unknown_refs: u64,
    /// Set when a damaged tail was repaired: what was dropped.
    pub repaired: Option<String>,
}

pub fn replay(wal_dir: &Path, head: &Head) -> Result<ReplayReport> {
    let mut rep = ReplayReport::default();
    if !wal_dir.exists() {
        return Ok(rep);
    }
    // WAL refs map to head ids; equal label sets recorded twice share one series.
    let mut refs: HashMap<u64, u32> = HashMap::new();
    let mut from = 0u32;
    if let Some(cp) = last_checkpoint(wal_dir)? {
        for s in list_segments(&cp.dir)? {
            let out = read_segment(&cp.dir.join(segment_name(s)), s)?;
            if let Some(c) = out.corruption {
                return Err(crate::wal::WalError::Corrupt {
                    segment: c.segment,
                    offset: c.offset,
                    msg: format!("in checkpoint {}: {}", cp.dir.display(), c.msg),
                }
                .into());
            }
            for r in out.records {
                apply(&r, head, &mut refs, &mut rep)?;
            }
        }
        from = cp.index + 1;
    }
    for s in list_segments(wal_dir)?.into_iter().filter(|s| *s >= from) {
        let out = read_segment(&wal_dir.join(segment_name(s)), s)?;
        for r in &out.records {
            apply(r, head, &mut refs, &mut rep)?;
        }
        if let Some(c) = out.corruption {
            rep.repaired = Some(repair(wal_dir, &c)?);
            break;
        }
    }
    Ok(rep)
}

fn apply(rec: &[u8], head: &Head, refs: &mut HashMap<u64, u32>, rep: &mut ReplayReport) -> Result<()> {
    rep.records += 1;
    match decode(rec)? {
        Record::Series(series) => {
            for s in series {
                let want = u32::try_from(s.r#ref).ok();
                match head.get_or_create(&s.labels, want) {
                    Ok((id, _, _)) => {
                        refs.insert(s.r#ref, id);
                        rep.series += 1;
                    }
                    // A series over a limit configured since it was written is skipped.
                    Err(_) => continue,
                }
            }
        }
        Record::Samples(samples) => {
            let min_valid = head.min_valid_time();
            for s in samples {
                let Some(series) = refs.get(&s.r#ref).and_then(|id| head.get(*id)) else {
                    rep.unknown_refs += 1;
                    continue;
                };
                if s.t < min_valid {
                    continue;
                }
                head.apply_sample(&series, s.t, s.v);
                series.lock().logged = true;
                rep.samples += 1;
            }
        }
        Record::Tombstones(ts) => {
            for mut t in ts {
                if let Some(id) = refs.get(&t.r#ref) {
                    t.r#ref = u64::from(*id);
                    head.apply_tombstone(&t);
                    rep.tombstones += 1;
                }
            }
        }
        Record::Other(_) => {}
    }
    Ok(())
}
