//! The YAML shape of a rule file, decoded strictly (unknown keys are errors, as in Prometheus).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGroups {
    #[serde(default)]
    pub groups: Option<Vec<Spanned<RawGroup>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGroup {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub interval: Option<Spanned<String>>,
    #[serde(default)]
    pub query_offset: Option<Spanned<String>>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub rules: Option<Vec<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    #[serde(default)]
    pub record: Option<Spanned<String>>,
    #[serde(default)]
    pub alert: Option<Spanned<String>>,
    #[serde(default)]
    pub expr: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    pub for_: Option<Spanned<String>>,
    #[serde(default)]
    pub keep_firing_for: Option<Spanned<String>>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// Decodes the first YAML document; returns how many documents the input held.
pub(crate) fn decode(text: &str) -> Result<(RawGroups, usize), serde_saphyr::Error> {
    let mut docs: Vec<RawGroups> = serde_saphyr::from_multiple(text)?;
    let n = docs.len();
    if docs.is_empty() {
        return Ok((RawGroups { groups: None }, 0));
    }
    Ok((docs.swap_remove(0), n))
}

/// Rewrites a decoder error into Prometheus's wording where Prometheus has a fixed one
/// (`yaml: unmarshal errors:\n  line N: field X not found in type rulefmt.RuleNode`).
pub(crate) fn describe(err: &serde_saphyr::Error) -> String {
    let line = err.location().map(|l| l.line()).unwrap_or(0);
    let text = err.to_string();
    if let Some(rest) = text.split("unknown field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        let ty = if text.contains("expected one of record,") {
            "rulefmt.RuleNode"
        } else if text.contains("expected one of name,") {
            "rulefmt.RuleGroup"
        } else {
            "rulefmt.RuleGroups"
        };
        return format!("yaml: unmarshal errors:\n  line {line}: field {field} not found in type {ty}");
    }
    let first = text.lines().next().unwrap_or_default();
    if line > 0 {
        format!("yaml: line {line}: {first}")
    } else {
        format!("yaml: {first}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(text: &str) -> String {
        match decode(text) {
            Ok(_) => String::from("ok"),
            Err(e) => {
                eprintln!("RAW: {e}");
                describe(&e)
            }
        }
    }

    #[test]
    fn unknown_fields_name_the_go_type() {
        assert_eq!(
            err_of("groups:\n- name: a\n  rules:\n  - record: x\n    expr: 1\n    bogus: 2\n"),
            "yaml: unmarshal errors:\n  line 6: field bogus not found in type rulefmt.RuleNode"
        );
        assert_eq!(
            err_of("groups:\n- name: a\n  bogus: 1\n"),
            "yaml: unmarshal errors:\n  line 3: field bogus not found in type rulefmt.RuleGroup"
        );
        assert_eq!(
            err_of("bogus: 1\n"),
            "yaml: unmarshal errors:\n  line 1: field bogus not found in type rulefmt.RuleGroups"
        );
    }

    #[test]
    fn accepts_plain_scalars_as_strings_and_extra_documents() {
        let (g, n) =
            decode("groups:\n- name: a\n  rules:\n  - record: x\n    expr: 1\n---\ngroups: []\n").unwrap();
        assert_eq!(n, 2);
        let groups = g.groups.unwrap();
        assert_eq!(
            groups[0].value.rules.as_ref().unwrap()[0]
                .expr
                .as_ref()
                .unwrap()
                .value,
            "1"
        );
    }
}
