//! The routing tree: which receivers (with which grouping and timings) an alert goes to.
//!
//! Children inherit `receiver`, `group_by` and the timers from their parent. An alert descends
//! into the first matching child, and into following siblings too while the matched child has
//! `continue: true`; a node that matches but has no matching child is itself the destination.

use crate::config::matchers::{is_valid_label_name, matchers_string};
use crate::config::model::RouteConfig;
use obslab_model::{Labels, MatchOp, Matcher};
use std::collections::BTreeMap;
use std::time::Duration;

pub const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(30);
pub const DEFAULT_GROUP_INTERVAL: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);

/// A resolved node of the routing tree.
#[derive(Debug, Clone)]
pub struct Route {
    pub receiver: String,
    /// Grouping labels, sorted and unique.
    pub group_by: Vec<String>,
    /// `group_by: ['...']`: every label groups.
    pub group_by_all: bool,
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    /// This node's own matchers, sorted by name, operator, value.
    pub matchers: Vec<Matcher>,
    pub continue_matching: bool,
    pub mute_time_intervals: Vec<String>,
    pub active_time_intervals: Vec<String>,
    /// Route labels (unrendered templates), merged over the parent's.
    pub labels: BTreeMap<String, String>,
    pub routes: Vec<Route>,
    key: String,
    id: String,
}

/// One destination of an alert: the route and the key of the group the alert joins.
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    pub route: &'a Route,
    pub group_labels: Labels,
    pub group_key: String,
}

fn op_rank(op: MatchOp) -> u8 {
    match op {
        MatchOp::Equal => 0,
        MatchOp::NotEqual => 1,
        MatchOp::Regex => 2,
        MatchOp::NotRegex => 3,
    }
}

impl Route {
    /// Builds the tree from the configured root.
    pub fn from_config(cfg: &RouteConfig) -> Result<Route, String> {
        Self::build(cfg, None)
    }

    fn build(cfg: &RouteConfig, parent: Option<(&Route, usize)>) -> Result<Route, String> {
        let index = parent.map(|(_, i)| i);
        let parent = parent.map(|(p, _)| p);
        let mut matchers = Vec::new();
        for (name, value) in &cfg.match_eq {
            if !is_valid_label_name(name) {
                return Err(format!("invalid label name {name:?}"));
            }
            matchers.push(Matcher::new(MatchOp::Equal, name, value).map_err(|e| e.to_string())?);
        }
        for (name, value) in &cfg.match_re {
            if !is_valid_label_name(name) {
                return Err(format!("invalid label name {name:?}"));
            }
            let value = value
                .as_deref()
                .ok_or_else(|| format!("invalid regular expression for label {name:?} in match_re: null"))?;
            let anchored = format!("^(?:{value})$");
            matchers.push(
                Matcher::new(MatchOp::Regex, name, anchored)
                    .map_err(|e| format!("invalid match_re for label {name:?}: {e}"))?,
            );
        }
        matchers.extend(cfg.matchers.0.iter().cloned());
        matchers.sort_by(|a, b| {
            (a.name.as_str(), op_rank(a.op), a.value.as_str()).cmp(&(
                b.name.as_str(),
                op_rank(b.op),
                b.value.as_str(),
            ))
        });

        let (group_by, group_by_all) = match &cfg.group_by {
            Some(list) => parse_group_by(list)?,
            None => parent.map_or((Vec::new(), false), |p| (p.group_by.clone(), p.group_by_all)),
        };
        for (name, v) in [
            ("group_interval", cfg.group_interval),
            ("repeat_interval", cfg.repeat_interval),
        ] {
            if v.is_some_and(|d| d.0.is_zero()) {
                return Err(format!("{name} cannot be zero"));
            }
        }
        let pick = |own: Option<crate::config::PromDuration>, inherited: Option<Duration>, default| {
            own.map(|d| d.0).or(inherited).unwrap_or(default)
        };
        let key = match parent {
            Some(p) => format!("{}/{}", p.key, matchers_string(&matchers)),
            None => matchers_string(&matchers),
        };
        let id = match (parent, index) {
            (Some(p), Some(i)) => format!("{}/{}/{i}", p.id, matchers_string(&matchers)),
            _ => matchers_string(&matchers),
        };
        let mut route = Route {
            receiver: cfg
                .receiver
                .clone()
                .filter(|r| !r.is_empty())
                .or_else(|| parent.map(|p| p.receiver.clone()))
                .unwrap_or_default(),
            group_by,
            group_by_all,
            group_wait: pick(cfg.group_wait, parent.map(|p| p.group_wait), DEFAULT_GROUP_WAIT),
            group_interval: pick(
                cfg.group_interval,
                parent.map(|p| p.group_interval),
                DEFAULT_GROUP_INTERVAL,
            ),
            repeat_interval: pick(
                cfg.repeat_interval,
                parent.map(|p| p.repeat_interval),
                DEFAULT_REPEAT_INTERVAL,
            ),
            matchers,
            continue_matching: cfg.continue_matching,
            mute_time_intervals: cfg.mute_time_intervals.clone(),
            active_time_intervals: cfg.active_time_intervals.clone(),
            labels: {
                let mut l = parent.map(|p| p.labels.clone()).unwrap_or_default();
                l.extend(cfg.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                l
            },
            routes: Vec::new(),
            key,
            id,
        };
        let children = cfg
            .routes
            .iter()
            .enumerate()
            .map(|(i, c)| Self::build(c, Some((&route, i))))
            .collect::<Result<Vec<_>, _>>()?;
        route.routes = children;
        Ok(route)
    }

    /// The route's path of matchers from the root, e.g. `{}/{owner="team-A"}`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Like the key, with each node's position among its siblings: unique in the tree.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Do this node's own matchers accept the labels (absent labels read as empty)?
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matchers
            .iter()
            .all(|m| m.matches(labels.get(&m.name).unwrap_or("")))
    }

    /// The routes an alert with these labels is sent to, in tree order.
    pub fn match_routes(&self, labels: &Labels) -> Vec<&Route> {
        if !self.matches_labels(labels) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let found = child.match_routes(labels);
            let matched = !found.is_empty();
            all.extend(found);
            if matched && !child.continue_matching {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }

    /// Like [`Route::match_routes`], with the group each alert joins on each route.
    pub fn route_alert(&self, labels: &Labels) -> Vec<RouteMatch<'_>> {
        self.match_routes(labels)
            .into_iter()
            .map(|route| {
                let group_labels = route.group_labels(labels);
                RouteMatch {
                    group_key: format!("{}:{}", route.key, format_label_set(&group_labels)),
                    route,
                    group_labels,
                }
            })
            .collect()
    }

    /// The alert's labels that form its group on this route.
    pub fn group_labels(&self, labels: &Labels) -> Labels {
        if self.group_by_all {
            return labels.clone();
        }
        Labels::from_pairs(
            labels
                .iter()
                .filter(|l| self.group_by.binary_search(&l.name).is_ok())
                .map(|l| (l.name.clone(), l.value.clone())),
        )
    }

    /// Every node, depth first, parents before children.
    pub fn walk(&self) -> Vec<&Route> {
        let mut out = vec![self];
        for c in &self.routes {
            out.extend(c.walk());
        }
        out
    }
}

/// `{a="b", c="d"}`, the label-set format group keys use.
pub fn format_label_set(labels: &Labels) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|l| format!("{}={:?}", l.name, l.value))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn parse_group_by(list: &[String]) -> Result<(Vec<String>, bool), String> {
    let mut names: Vec<String> = Vec::new();
    let mut all = false;
    for l in list {
        if l == "..." {
            all = true;
            continue;
        }
        if !is_valid_label_name(l) {
            return Err(format!("invalid label name {l:?} in group_by list"));
        }
        if names.contains(l) {
            return Err(format!("duplicated label {l:?} in group_by"));
        }
        names.push(l.clone());
    }
    if all && !names.is_empty() {
        return Err("cannot have wildcard group_by (`...`) and other other labels at the same time".into());
    }
    names.sort();
    Ok((names, all))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(yaml: &str) -> Route {
        Route::from_config(&serde_saphyr::from_str(yaml).unwrap()).unwrap()
    }

    #[test]
    fn group_key_and_inherited_settings() {
        let root = tree(
            "receiver: def\ngroup_by: [b, a]\ngroup_wait: 10s\nlabels: {team: core, tier: '1'}\nroutes:\n  - matchers: ['svc=~\"api|web\"']\n    receiver: web\n    labels: {tier: '2'}\n",
        );
        let labels = Labels::from_pairs([("svc", "api"), ("a", "1"), ("c", "3")]);
        let m = root.route_alert(&labels);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].route.receiver, "web");
        assert_eq!(m[0].route.group_by, ["a", "b"]);
        assert_eq!(m[0].route.group_wait, Duration::from_secs(10));
        assert_eq!(m[0].route.group_interval, DEFAULT_GROUP_INTERVAL);
        assert_eq!(m[0].group_key, r#"{}/{svc=~"api|web"}:{a="1"}"#);
        assert_eq!(m[0].route.labels.get("team").map(String::as_str), Some("core"));
        assert_eq!(m[0].route.labels.get("tier").map(String::as_str), Some("2"));
        let other = root.route_alert(&Labels::from_pairs([("svc", "db")]));
        assert_eq!(other[0].route.receiver, "def");
        assert_eq!(other[0].group_key, "{}:{}");
    }

    #[test]
    fn group_by_errors() {
        for (yaml, err) in [
            ("group_by: ['...', a]", "cannot have wildcard"),
            ("group_by: [a, a]", "duplicated label \"a\""),
            ("group_by: ['a-b']", "invalid label name \"a-b\" in group_by list"),
            ("group_interval: 0s", "group_interval cannot be zero"),
            ("repeat_interval: 0s", "repeat_interval cannot be zero"),
            ("match_re: {a: '(x'}", "invalid match_re"),
        ] {
            let cfg: RouteConfig = serde_saphyr::from_str(yaml).unwrap();
            let e = Route::from_config(&cfg).unwrap_err();
            assert!(e.contains(err), "{yaml}: {e}");
        }
    }
}
