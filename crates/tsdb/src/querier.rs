//! Reads across the persisted blocks and the head as one store.

use crate::block::Block;
use crate::db::DbInner;
use crate::error::Result;
use crate::series::{Series, merge_series};
use obslab_model::Matcher;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A view of the database for `[mint, maxt]` (milliseconds, inclusive). Blocks are pinned
/// when it is made, so a concurrent compaction does not pull data away from it.
pub struct Querier {
    pub(crate) db: Arc<DbInner>,
    pub(crate) blocks: Vec<Arc<Block>>,
    pub mint: i64,
    pub maxt: i64,
}

impl Querier {
    /// Series that satisfy all matchers, sorted by labels, with their samples in range.
    pub fn select(&self, matchers: &[Matcher]) -> Result<Vec<Series>> {
        let mut sources = Vec::with_capacity(self.blocks.len() + 1);
        for b in &self.blocks {
            sources.push(b.select(matchers, self.mint, self.maxt)?);
        }
        sources.push(self.db.head.select(matchers, self.mint, self.maxt)?);
        Ok(merge_series(sources))
    }

    /// Label names over every block in range and the head.
    pub fn label_names(&self) -> Vec<String> {
        let mut s: BTreeSet<String> = self.db.head.label_names().into_iter().collect();
        for b in &self.blocks {
            s.extend(b.label_names());
        }
        s.into_iter().collect()
    }

    pub fn label_values(&self, name: &str) -> Vec<String> {
        let mut s: BTreeSet<String> = self.db.head.label_values(name).into_iter().collect();
        for b in &self.blocks {
            s.extend(b.label_values(name));
        }
        s.into_iter().collect()
    }
}
