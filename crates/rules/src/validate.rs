//! Name checks of Prometheus: legacy names are `[a-zA-Z_][a-zA-Z0-9_]*` (metric names may also
//! hold `:`); under UTF-8 validation any non-empty name is valid.

use crate::rulefmt::NameValidation;

pub(crate) fn label_name_ok(name: &str, v: NameValidation) -> bool {
    match v {
        NameValidation::Utf8 => !name.is_empty(),
        NameValidation::Legacy => legacy(name, false),
    }
}

pub(crate) fn metric_name_ok(name: &str, v: NameValidation) -> bool {
    match v {
        NameValidation::Utf8 => !name.is_empty(),
        NameValidation::Legacy => legacy(name, true),
    }
}

fn legacy(name: &str, colon: bool) -> bool {
    let ok_first = |c: char| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':');
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if ok_first(c) => chars.all(|c| ok_first(c) || c.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_and_utf8_names() {
        assert!(label_name_ok("ins_tance", NameValidation::Legacy));
        assert!(!label_name_ok("ins-tance", NameValidation::Legacy));
        assert!(!label_name_ok("a:b", NameValidation::Legacy));
        assert!(metric_name_ok("job:rate5m", NameValidation::Legacy));
        assert!(!metric_name_ok("1abc", NameValidation::Legacy));
        assert!(label_name_ok("ins-tance", NameValidation::Utf8));
        assert!(!label_name_ok("", NameValidation::Utf8));
    }
}
