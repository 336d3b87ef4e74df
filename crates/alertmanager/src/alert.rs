//! Alerts as Alertmanager holds them: labels for identity, annotations, and the time range in
//! which they fire.

use chrono::{DateTime, Utc};
use obslab_model::Labels;

/// An alert; it is resolved once `ends_at` is not after the current time.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub generator_url: String,
}

impl Alert {
    /// A firing alert without an end time, started and updated at `now`.
    pub fn firing(labels: Labels, now: DateTime<Utc>) -> Self {
        Alert {
            labels,
            annotations: Labels::empty(),
            starts_at: now,
            ends_at: None,
            updated_at: now,
            generator_url: String::new(),
        }
    }

    pub fn resolved_at(&self, now: DateTime<Utc>) -> bool {
        self.ends_at.is_some_and(|e| e <= now)
    }

    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.labels)
    }
}

/// Alertmanager's label-set fingerprint: FNV-1a 64 over sorted `name 0xff value 0xff`.
pub fn fingerprint(labels: &Labels) -> u64 {
    const OFFSET: u64 = 0xcbf29ce484222325;
    const PRIME: u64 = 0x100000001b3;
    let mut h = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for l in labels.iter() {
        eat(l.name.as_bytes());
        eat(&[0xff]);
        eat(l.value.as_bytes());
        eat(&[0xff]);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_labels_only() {
        let a = Labels::from_pairs([("a", "1"), ("b", "2")]);
        let b = Labels::from_pairs([("b", "2"), ("a", "1")]);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&Labels::from_pairs([("a", "1")])));
        // The empty label set hashes to the FNV-1a offset basis.
        assert_eq!(fingerprint(&Labels::empty()), 0xcbf29ce484222325);
    }
}
