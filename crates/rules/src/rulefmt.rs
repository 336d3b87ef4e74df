//! Loading rule files: YAML decoding, then the validation Prometheus's rule loader applies, with
//! its error texts. Every error of a file is collected, not only the first.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use obslab_model::{METRIC_NAME, parse_duration};
use serde_saphyr::{Location, Spanned};

use crate::error::{ErrorContext, RuleError};
use crate::validate::{label_name_ok, metric_name_ok};
use crate::yaml::{self, RawGroup, RawRule};

/// Which label names count as valid: Prometheus 3 accepts any UTF-8 name, older versions (and
/// `--legacy` setups) only `[a-zA-Z_][a-zA-Z0-9_]*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameValidation {
    #[default]
    Utf8,
    Legacy,
}

/// A validated rule file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleGroups {
    pub groups: Vec<RuleGroup>,
    /// Non-fatal findings, e.g. extra YAML documents that are ignored.
    pub warnings: Vec<String>,
}

impl RuleGroups {
    pub fn rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    /// `None` means the global evaluation interval.
    pub interval: Option<Duration>,
    pub query_offset: Option<Duration>,
    /// Maximum series an alert or recording rule may produce; 0 means no limit.
    pub limit: i64,
    /// Labels added to every rule of the group (a rule's own labels win).
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    Recording {
        record: String,
    },
    Alerting {
        alert: String,
        for_: Duration,
        keep_firing_for: Duration,
        annotations: BTreeMap<String, String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: RuleKind,
    pub expr: String,
    pub labels: BTreeMap<String, String>,
}

impl Rule {
    /// The recorded metric name or the alert name.
    pub fn name(&self) -> &str {
        match &self.kind {
            RuleKind::Recording { record } => record,
            RuleKind::Alerting { alert, .. } => alert,
        }
    }
}

/// Reads and validates a rule file; errors are prefixed with the path as given.
pub fn parse_file(path: &Path, names: NameValidation) -> Result<RuleGroups, Vec<RuleError>> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| vec![RuleError::file(&file, vec![], e.to_string())])?;
    parse_str(&file, &text, names)
}

/// Validates rule-file text; `file` only names the source in error messages.
pub fn parse_str(file: &str, text: &str, names: NameValidation) -> Result<RuleGroups, Vec<RuleError>> {
    let (raw, docs) =
        yaml::decode(text).map_err(|e| vec![RuleError::file(file, vec![], yaml::describe(&e))])?;
    let mut out = RuleGroups::default();
    if docs > 1 {
        out.warnings.push(format!(
            "{file}: the file holds {docs} YAML documents; only the first one is used"
        ));
    }
    let mut errs = Vec::new();
    let mut seen = HashSet::new();
    for g in raw.groups.unwrap_or_default() {
        let pos = vec![pos_of(&g.referenced)];
        let name = g.value.name.clone().unwrap_or_default();
        if name.is_empty() {
            errs.push(RuleError::file(file, pos.clone(), "Groupname must not be empty"));
        }
        if !seen.insert(name.clone()) {
            errs.push(RuleError::file(
                file,
                pos,
                format!("groupname: \"{name}\" is repeated in the same file"),
            ));
        }
        if let Some(group) = convert_group(file, name, g.value, names, &mut errs) {
            out.groups.push(group);
        }
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

fn pos_of(l: &Location) -> (u64, u64) {
    (l.line(), l.column())
}

fn span_pos<T>(s: &Option<Spanned<T>>) -> (u64, u64) {
    s.as_ref().map(|s| pos_of(&s.referenced)).unwrap_or((0, 0))
}

fn duration(
    file: &str,
    v: &Option<Spanned<String>>,
    errs: &mut Vec<RuleError>,
    ctx: &ErrorContext,
) -> Option<Duration> {
    let s = v.as_ref()?;
    match parse_duration(&s.value) {
        Ok(d) => Some(d),
        Err(e) => {
            errs.push(RuleError {
                file: file.to_string(),
                positions: vec![pos_of(&s.referenced)],
                context: ctx.clone(),
                message: e.to_string(),
            });
            None
        }
    }
}

fn convert_group(
    file: &str,
    name: String,
    g: RawGroup,
    names: NameValidation,
    errs: &mut Vec<RuleError>,
) -> Option<RuleGroup> {
    let before = errs.len();
    let labels = g.labels.unwrap_or_default();
    for k in labels.keys() {
        if !label_name_ok(k, names) || k == METRIC_NAME {
            errs.push(RuleError::file(file, vec![], format!("invalid label name: {k}")));
        }
    }
    let interval = duration(file, &g.interval, errs, &ErrorContext::File);
    let query_offset = duration(file, &g.query_offset, errs, &ErrorContext::File);
    let mut rules = Vec::new();
    for (i, r) in g.rules.unwrap_or_default().into_iter().enumerate() {
        if let Some(rule) = convert_rule(file, &name, i + 1, r, names, errs) {
            rules.push(rule);
        }
    }
    (errs.len() == before).then(|| RuleGroup {
        name,
        interval,
        query_offset,
        limit: g.limit.unwrap_or(0),
        labels,
        rules,
    })
}

fn convert_rule(
    file: &str,
    group: &str,
    index: usize,
    r: RawRule,
    names: NameValidation,
    errs: &mut Vec<RuleError>,
) -> Option<Rule> {
    let record = r.record.as_ref().map(|s| s.value.clone()).unwrap_or_default();
    let alert = r.alert.as_ref().map(|s| s.value.clone()).unwrap_or_default();
    let ctx = ErrorContext::Rule {
        group: group.to_string(),
        index,
        name: if alert.is_empty() {
            record.clone()
        } else {
            alert.clone()
        },
    };
    let before = errs.len();
    let mut push = |positions: Vec<(u64, u64)>, message: String| {
        errs.push(RuleError {
            file: file.to_string(),
            positions,
            context: ctx.clone(),
            message,
        });
    };
    let record_pos = span_pos(&r.record);
    if !record.is_empty() && !alert.is_empty() {
        push(
            vec![record_pos, span_pos(&r.alert)],
            "only one of 'record' and 'alert' must be set".into(),
        );
    }
    if record.is_empty() && alert.is_empty() {
        push(vec![record_pos], "one of 'record' or 'alert' must be set".into());
    }
    let expr = r.expr.as_ref().map(|s| s.value.clone()).unwrap_or_default();
    if expr.is_empty() {
        push(vec![span_pos(&r.expr)], "field 'expr' must be set in rule".into());
    } else if let Err(e) = promql_parser::parser::parse(&expr) {
        let e = if e.contains("parse error") {
            e
        } else {
            format!("parse error: {e}")
        };
        push(
            vec![span_pos(&r.expr)],
            format!("could not parse expression: {e}"),
        );
    }
    let annotations = r.annotations.unwrap_or_default();
    if !record.is_empty() {
        if !annotations.is_empty() {
            push(
                vec![record_pos],
                "invalid field 'annotations' in recording rule".into(),
            );
        }
        if r.for_
            .as_ref()
            .is_some_and(|d| parse_duration(&d.value) != Ok(Duration::ZERO))
        {
            push(vec![record_pos], "invalid field 'for' in recording rule".into());
        }
        if r.keep_firing_for
            .as_ref()
            .is_some_and(|d| parse_duration(&d.value) != Ok(Duration::ZERO))
        {
            push(
                vec![record_pos],
                "invalid field 'keep_firing_for' in recording rule".into(),
            );
        }
        if record.contains(['{', '}']) {
            push(
                vec![record_pos],
                format!("braces present in the recording rule name; should it be in expr?: {record}"),
            );
        } else if !metric_name_ok(&record, names) {
            push(vec![record_pos], format!("invalid recording rule name: {record}"));
        }
    }
    let labels = r.labels.unwrap_or_default();
    for k in labels.keys() {
        if !label_name_ok(k, names) || k == METRIC_NAME {
            push(vec![], format!("invalid label name: {k}"));
        }
    }
    for k in annotations.keys() {
        if !label_name_ok(k, names) {
            push(vec![], format!("invalid annotation name: {k}"));
        }
    }
    let for_ = duration(file, &r.for_, errs, &ctx).unwrap_or_default();
    let keep_firing_for = duration(file, &r.keep_firing_for, errs, &ctx).unwrap_or_default();
    if errs.len() != before {
        return None;
    }
    let kind = if record.is_empty() {
        RuleKind::Alerting {
            alert,
            for_,
            keep_firing_for,
            annotations,
        }
    } else {
        RuleKind::Recording { record }
    };
    Some(Rule { kind, expr, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuleGroups, Vec<String>> {
        parse_str("r.yml", text, NameValidation::Utf8).map_err(|e| e.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn reads_group_and_rule_fields() {
        let g = parse(
            "groups:\n- name: g\n  interval: 30s\n  query_offset: 1m\n  limit: 10\n  labels:\n    team: a\n  rules:\n\
             \x20 - alert: A\n    expr: up == 0\n    for: 5m\n    keep_firing_for: 2m\n    labels: {severity: page}\n\
             \x20   annotations: {summary: down}\n  - record: job:up\n    expr: sum by (job) (up)\n",
        )
        .unwrap();
        assert_eq!(g.rule_count(), 2);
        let grp = &g.groups[0];
        assert_eq!(grp.interval, Some(Duration::from_secs(30)));
        assert_eq!(grp.query_offset, Some(Duration::from_secs(60)));
        assert_eq!(grp.limit, 10);
        assert_eq!(grp.labels.get("team").map(String::as_str), Some("a"));
        match &grp.rules[0].kind {
            RuleKind::Alerting {
                alert,
                for_,
                keep_firing_for,
                annotations,
            } => {
                assert_eq!(alert, "A");
                assert_eq!(*for_, Duration::from_secs(300));
                assert_eq!(*keep_firing_for, Duration::from_secs(120));
                assert_eq!(annotations.get("summary").map(String::as_str), Some("down"));
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(grp.rules[1].name(), "job:up");
        assert_eq!(grp.rules[1].labels.len(), 0);
    }

    #[test]
    fn empty_input_and_extra_documents() {
        assert_eq!(parse("").unwrap().groups.len(), 0);
        let g = parse("groups: []\n---\ngroups: []\n").unwrap();
        assert_eq!(g.warnings.len(), 1);
    }

    #[test]
    fn bad_durations_and_group_names() {
        let e = parse("groups:\n- name: g\n  interval: 5x\n").unwrap_err();
        assert_eq!(
            e,
            vec!["r.yml: 3:13: not a valid duration string: \"5x\"".to_string()]
        );
        let e = parse("groups:\n- rules: []\n").unwrap_err();
        assert_eq!(e, vec!["r.yml: 2:3: Groupname must not be empty".to_string()]);
        let e = parse("groups:\n- name: g\n  labels: {__name__: x}\n").unwrap_err();
        assert_eq!(e, vec!["r.yml: invalid label name: __name__".to_string()]);
    }

    #[test]
    fn recording_rules_reject_alert_fields_and_bad_names() {
        let e =
            parse("groups:\n- name: g\n  rules:\n  - record: r\n    expr: '1'\n    annotations: {a: b}\n")
                .unwrap_err();
        assert!(
            e[0].ends_with("invalid field 'annotations' in recording rule"),
            "{e:?}"
        );
        let e = parse_str(
            "r.yml",
            "groups:\n- name: g\n  rules:\n  - record: 1x\n    expr: '1'\n",
            NameValidation::Legacy,
        )
        .unwrap_err();
        assert!(
            e[0].to_string().ends_with("invalid recording rule name: 1x"),
            "{e:?}"
        );
        // A zero `for` is what Prometheus stores when it is absent, so it is accepted.
        assert!(parse("groups:\n- name: g\n  rules:\n  - record: r\n    expr: '1'\n    for: 0s\n").is_ok());
    }

    #[test]
    fn collects_every_error_of_a_file() {
        let e = parse("groups:\n- name: g\n  rules:\n  - expr: '1'\n  - record: r\n- name: g\n").unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
    }
}
