//! Interned label strings: every distinct name or value is stored once and series refer to it
//! by a 32-bit id, which keeps per-series memory small.

use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
struct Inner {
    ids: HashMap<Arc<str>, u32>,
    strs: Vec<Arc<str>>,
}

#[derive(Default)]
pub struct Symbols {
    inner: RwLock<Inner>,
}

impl Symbols {
    pub fn intern(&self, s: &str) -> u32 {
        if let Some(&id) = self.inner.read().ids.get(s) {
            return id;
        }
        let mut w = self.inner.write();
        if let Some(&id) = w.ids.get(s) {
            return id;
        }
        let id = w.strs.len() as u32;
        let a: Arc<str> = Arc::from(s);
        w.strs.push(a.clone());
        w.ids.insert(a, id);
        id
    }

    /// The id of `s` if it was ever interned.
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.inner.read().ids.get(s).copied()
    }

    /// Resolves several ids under one lock.
    pub fn resolve_all(&self, ids: &[u32]) -> Vec<Arc<str>> {
        let r = self.inner.read();
        ids.iter()
            .map(|&i| r.strs.get(i as usize).cloned().unwrap_or_else(|| Arc::from("")))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.inner.read().strs.len()
    }
}
