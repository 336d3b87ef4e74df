//! Reads across the persisted blocks and the head as one store.

use crate::block::Block;
use crate::db::DbInner;
use crate::error::Result;
use crate::series::{Series, merge_series};
use obslab_model::Matcher;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A view of the database for `[mint, maxt]` (milliseconds, inclusive).
///
/// Each call reads the head first and lists blocks afterwards: head compaction registers a
/// new block before it truncates the head, so data moving from head to block is seen at least
/// once (twice is merged away), never missed.
pub struct Querier {
    pub(crate) db: Arc<DbInner>,
    pub mint: i64,
    pub maxt: i64,
}

impl Querier {
    fn blocks(&self) -> Vec<Arc<Block>> {
        self.db
            .blocks
            .read()
            .iter()
            .filter(|b| b.meta().max_time > self.mint && b.meta().min_time <= self.maxt)
            .cloned()
            .collect()
    }

    /// Series that satisfy all matchers, sorted by labels, with their samples in range.
    pub fn select(&self, matchers: &[Matcher]) -> Result<Vec<Series>> {
        let head = self.db.head.select(matchers, self.mint, self.maxt)?;
        let blocks = self.blocks();
        let mut sources = Vec::with_capacity(blocks.len() + 1);
        for b in &blocks {
            sources.push(b.select(matchers, self.mint, self.maxt)?);
        }
        sources.push(head);
        Ok(merge_series(sources))
    }

    /// Label names over the head and every block in range.
    pub fn label_names(&self) -> Vec<String> {
        let mut s: BTreeSet<String> = self.db.head.label_names().into_iter().collect();
        for b in self.blocks() {
            s.extend(b.label_names());
        }
        s.into_iter().collect()
    }

    pub fn label_values(&self, name: &str) -> Vec<String> {
        let mut s: BTreeSet<String> = self.db.head.label_values(name).into_iter().collect();
        for b in self.blocks() {
            s.extend(b.label_values(name));
        }
        s.into_iter().collect()
    }
}
