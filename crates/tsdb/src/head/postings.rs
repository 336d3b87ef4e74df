//! The head's inverted index: label name → value → bitmap of series ids.

use parking_lot::RwLock;
use roaring::RoaringBitmap;
use std::collections::HashMap;

#[derive(Default)]
pub struct MemPostings {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    all: RoaringBitmap,
    by_label: HashMap<u32, HashMap<u32, RoaringBitmap>>,
}

impl MemPostings {
    /// Indexes series `id` under its (name, value) symbol pairs.
    pub fn add(&self, id: u32, labels: &[u32]) {
        let mut w = self.inner.write();
        w.all.insert(id);
        for pair in labels.chunks_exact(2) {
            w.by_label
                .entry(pair[0])
                .or_default()
                .entry(pair[1])
                .or_default()
                .insert(id);
        }
    }

    pub fn remove(&self, id: u32, labels: &[u32]) {
        let mut w = self.inner.write();
        w.all.remove(id);
        for pair in labels.chunks_exact(2) {
            if let Some(vals) = w.by_label.get_mut(&pair[0]) {
                if let Some(b) = vals.get_mut(&pair[1]) {
                    b.remove(id);
                    if b.is_empty() {
                        vals.remove(&pair[1]);
                    }
                }
                if vals.is_empty() {
                    w.by_label.remove(&pair[0]);
                }
            }
        }
    }

    pub fn all(&self) -> RoaringBitmap {
        self.inner.read().all.clone()
    }

    pub fn get(&self, name: u32, value: u32) -> RoaringBitmap {
        self.inner
            .read()
            .by_label
            .get(&name)
            .and_then(|v| v.get(&value))
            .cloned()
            .unwrap_or_default()
    }

    /// Value symbols present for label name symbol `name`.
    pub fn values(&self, name: u32) -> Vec<u32> {
        self.inner
            .read()
            .by_label
            .get(&name)
            .map(|v| v.keys().copied().collect())
            .unwrap_or_default()
    }

    pub fn names(&self) -> Vec<u32> {
        self.inner.read().by_label.keys().copied().collect()
    }
}
