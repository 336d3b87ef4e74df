//! Turns label matchers into a set of series ids over any label index (head or block), with
//! fast paths for regexes that are literal alternations or literal prefixes.

use crate::error::Result;
use obslab_model::{MatchOp, Matcher};
use roaring::RoaringBitmap;

/// What matcher evaluation needs from an index.
pub trait LabelIndex {
    fn all_postings(&self) -> Result<RoaringBitmap>;
    fn postings_for(&self, name: &str, value: &str) -> Result<RoaringBitmap>;
    fn values_of(&self, name: &str) -> Result<Vec<String>>;
}

const META: &[char] = &[
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

/// `a|b|c` of plain literals → the literals.
pub fn literal_alternatives(pattern: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = pattern.split('|').collect();
    if parts.iter().any(|p| p.contains(META)) {
        return None;
    }
    Some(parts.into_iter().map(str::to_string).collect())
}

/// `prefix.*` with a plain-literal prefix → the prefix.
pub fn literal_prefix(pattern: &str) -> Option<&str> {
    let p = pattern.strip_suffix(".*")?;
    (!p.contains(META)).then_some(p)
}

/// Values of `name` that satisfy `m`, using the fast paths where they apply.
fn matching_values(idx: &impl LabelIndex, m: &Matcher, want_match: bool) -> Result<Vec<String>> {
    let positive = matches!(m.op, MatchOp::Equal | MatchOp::Regex);
    if want_match == positive {
        match m.op {
            MatchOp::Equal | MatchOp::NotEqual => return Ok(vec![m.value.clone()]),
            _ => {
                if let Some(lits) = literal_alternatives(&m.value) {
                    return Ok(lits);
                }
                if let Some(p) = literal_prefix(&m.value) {
                    return Ok(idx
                        .values_of(&m.name)?
                        .into_iter()
                        .filter(|v| v.starts_with(p))
                        .collect());
                }
            }
        }
    }
    Ok(idx
        .values_of(&m.name)?
        .into_iter()
        .filter(|v| m.matches(v) == want_match)
        .collect())
}

fn union(idx: &impl LabelIndex, name: &str, values: &[String]) -> Result<RoaringBitmap> {
    let mut out = RoaringBitmap::new();
    for v in values {
        if !v.is_empty() {
            out |= idx.postings_for(name, v)?;
        }
    }
    Ok(out)
}

/// Ids of the series that satisfy every matcher (a missing label counts as the empty value).
pub fn select_postings(idx: &impl LabelIndex, matchers: &[Matcher]) -> Result<RoaringBitmap> {
    let mut result: Option<RoaringBitmap> = None;
    let mut subtract = Vec::new();
    for m in matchers {
        if m.op == MatchOp::Regex && m.value == ".*" {
            continue;
        }
        if m.matches_empty() {
            // Everything except the series whose value of the label does not match.
            let bad = matching_values(idx, m, false)?;
            subtract.push(union(idx, &m.name, &bad)?);
        } else {
            let good = matching_values(idx, m, true)?;
            let set = union(idx, &m.name, &good)?;
            result = Some(match result {
                Some(r) => r & set,
                None => set,
            });
        }
        if result.as_ref().is_some_and(|r| r.is_empty()) {
            return Ok(RoaringBitmap::new());
        }
    }
    let mut r = match result {
        Some(r) => r,
        None => idx.all_postings()?,
    };
    for s in subtract {
        r -= s;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Fake(BTreeMap<(String, String), RoaringBitmap>);

    impl LabelIndex for Fake {
        fn all_postings(&self) -> Result<RoaringBitmap> {
            Ok(self.0.values().fold(RoaringBitmap::new(), |a, b| a | b))
        }
        fn postings_for(&self, n: &str, v: &str) -> Result<RoaringBitmap> {
            Ok(self.0.get(&(n.into(), v.into())).cloned().unwrap_or_default())
        }
        fn values_of(&self, n: &str) -> Result<Vec<String>> {
            Ok(self.0.keys().filter(|k| k.0 == n).map(|k| k.1.clone()).collect())
        }
    }

    fn idx() -> Fake {
        // series 0: job=api env=prod; 1: job=web env=dev; 2: job=worker (no env)
        let mut m = BTreeMap::new();
        let mut put = |n: &str, v: &str, ids: &[u32]| {
            m.insert((n.to_string(), v.to_string()), ids.iter().copied().collect());
        };
        put("job", "api", &[0]);
        put("job", "web", &[1]);
        put("job", "worker", &[2]);
        put("env", "prod", &[0]);
        put("env", "dev", &[1]);
        Fake(m)
    }

    fn sel(ms: &[(MatchOp, &str, &str)]) -> Vec<u32> {
        let ms: Vec<Matcher> = ms
            .iter()
            .map(|(o, n, v)| Matcher::new(*o, *n, *v).unwrap())
            .collect();
        select_postings(&idx(), &ms).unwrap().iter().collect()
    }

    #[test]
    fn all_operators_and_empty_semantics() {
        use MatchOp::*;
        assert_eq!(sel(&[(Equal, "job", "api")]), vec![0]);
        assert_eq!(sel(&[(NotEqual, "job", "api")]), vec![1, 2]);
        assert_eq!(sel(&[(Regex, "job", "api|web")]), vec![0, 1]);
        assert_eq!(sel(&[(Regex, "job", "w.*")]), vec![1, 2]);
        assert_eq!(sel(&[(Regex, "job", "w.+r")]), vec![2]);
        assert_eq!(sel(&[(NotRegex, "job", "w.*")]), vec![0]);
        assert_eq!(sel(&[(Equal, "env", "")]), vec![2]);
        assert_eq!(sel(&[(NotEqual, "env", "")]), vec![0, 1]);
        assert_eq!(sel(&[(Regex, "env", "prod|")]), vec![0, 2]);
        assert_eq!(sel(&[(Regex, "job", ".*"), (NotRegex, "env", "dev")]), vec![0, 2]);
        assert_eq!(
            sel(&[(Equal, "job", "api"), (Equal, "env", "dev")]),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn fast_paths_recognise_only_literals() {
        assert_eq!(literal_alternatives("a|b"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(literal_alternatives("a.|b"), None);
        assert_eq!(literal_prefix("foo_.*"), Some("foo_"));
        assert_eq!(literal_prefix("fo+.*"), None);
    }
}
