//! Cardinality statistics of the head, as Prometheus's `/api/v1/status/tsdb` reports them.

use super::Head;
use std::collections::HashMap;

/// One `name`/`value` count entry of a top-N list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatEntry {
    pub name: String,
    pub value: u64,
}

/// Head statistics and top-N cardinality lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadStatus {
    pub num_series: u64,
    pub num_label_pairs: u64,
    pub chunk_count: u64,
    /// `i64::MAX`/`i64::MIN` while the head is empty.
    pub min_time: i64,
    pub max_time: i64,
    pub series_count_by_metric_name: Vec<StatEntry>,
    pub label_value_count_by_label_name: Vec<StatEntry>,
    pub memory_in_bytes_by_label_name: Vec<StatEntry>,
    pub series_count_by_label_value_pair: Vec<StatEntry>,
}

fn top(mut v: Vec<StatEntry>, limit: usize) -> Vec<StatEntry> {
    v.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
    v.truncate(limit);
    v
}

impl Head {
    /// Statistics with each top-N list cut to `limit` entries.
    pub fn status(&self, limit: usize) -> HeadStatus {
        let mut by_metric = Vec::new();
        let mut values_by_name = Vec::new();
        let mut mem_by_name = Vec::new();
        let mut by_pair = Vec::new();
        let mut pairs = 0u64;
        let names = self.postings.names();
        let strs: HashMap<u32, String> = names
            .iter()
            .copied()
            .zip(self.symbols.resolve_all(&names).iter().map(|s| s.to_string()))
            .collect();
        for n in names {
            let name = &strs[&n];
            let vals = self.postings.values(n);
            let vstrs = self.symbols.resolve_all(&vals);
            values_by_name.push(StatEntry {
                name: name.clone(),
                value: vals.len() as u64,
            });
            let mut mem = 0u64;
            for (v, vs) in vals.iter().zip(vstrs.iter()) {
                let count = self.postings.get(n, *v).len();
                mem += vs.len() as u64 * count;
                pairs += 1;
                by_pair.push(StatEntry {
                    name: format!("{name}={vs}"),
                    value: count,
                });
                if name == obslab_model::METRIC_NAME {
                    by_metric.push(StatEntry {
                        name: vs.to_string(),
                        value: count,
                    });
                }
            }
            mem_by_name.push(StatEntry {
                name: name.clone(),
                value: mem,
            });
        }
        let chunk_count = self
            .by_id
            .iter()
            .map(|st| {
                st.read()
                    .values()
                    .map(|s| {
                        let g = s.lock();
                        g.chunks.len() as u64 + u64::from(g.open.is_some())
                    })
                    .sum::<u64>()
            })
            .sum();
        HeadStatus {
            num_series: self.num_series() as u64,
            num_label_pairs: pairs,
            chunk_count,
            min_time: self.min_time(),
            max_time: self.max_time(),
            series_count_by_metric_name: top(by_metric, limit),
            label_value_count_by_label_name: top(values_by_name, limit),
            memory_in_bytes_by_label_name: top(mem_by_name, limit),
            series_count_by_label_value_pair: top(by_pair, limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use obslab_model::Labels;

    #[test]
    fn counts_and_orders_cardinality() {
        let h = Head::new(Default::default());
        for (m, job) in [("up", "a"), ("up", "b"), ("up", "c"), ("rpc", "a")] {
            let (_, s, _) = h
                .get_or_create(&Labels::from_pairs([("__name__", m), ("job", job)]), None)
                .unwrap();
            h.apply_sample(&s, 1000, 1.0);
        }
        let st = h.status(10);
        assert_eq!(st.num_series, 4);
        assert_eq!(st.chunk_count, 4);
        assert_eq!(st.num_label_pairs, 5);
        assert_eq!((st.min_time, st.max_time), (1000, 1000));
        assert_eq!(
            st.series_count_by_metric_name[0],
            StatEntry {
                name: "up".into(),
                value: 3
            }
        );
        assert_eq!(
            st.label_value_count_by_label_name[0],
            StatEntry {
                name: "job".into(),
                value: 3
            }
        );
        assert_eq!(st.series_count_by_label_value_pair[0].name, "__name__=up");
        assert_eq!(h.status(1).series_count_by_label_value_pair.len(), 1);
        // "up" × 3 + "rpc" × 1 bytes.
        let mem_name = st
            .memory_in_bytes_by_label_name
            .iter()
            .find(|e| e.name == "__name__")
            .unwrap();
        assert_eq!(mem_name.value, 9);
    }
}
