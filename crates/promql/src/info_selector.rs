//! `info()`'s second argument is a label selector that may match only empty values (e.g.
//! `{data=~".*"}`), which the parser rejects for ordinary selectors. A placeholder matcher that
//! never matches the empty value lets such a query parse; selectors drop it again.

/// Label name of the placeholder matcher.
pub(crate) const INFO_PLACEHOLDER: &str = "__info_selector__";

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

/// Index just past the string literal that starts at `i` (whose quote is `q`).
fn skip_string(b: &[u8], i: usize, q: u8) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'\\' && q != b'`' {
            j += 2;
            continue;
        }
        if b[j] == q {
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// Byte position right after the `{` of the selector given as second argument of the call whose
/// opening parenthesis is at `open`, if that argument is a bare `{...}` selector.
fn second_arg_brace(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' | b'`' => {
                i = skip_string(b, i, b[i]);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return None;
                }
                depth -= 1;
            }
            b',' if depth == 0 => {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                return (b.get(j) == Some(&b'{')).then_some(j + 1);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `query` with the placeholder matcher added to the selector argument of every `info(...)`
/// call, or `None` when there is no such argument.
pub(crate) fn mark_info_selectors(query: &str) -> Option<String> {
    let b = query.as_bytes();
    let mut inserts: Vec<(usize, bool)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' | b'`' => {
                i = skip_string(b, i, b[i]);
                continue;
            }
            b'i' if b[i..].starts_with(b"info") && (i == 0 || !is_ident(b[i - 1])) => {
                let mut j = i + 4;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if b.get(j) == Some(&b'(')
                    && let Some(at) = second_arg_brace(b, j)
                {
                    let mut k = at;
                    while k < b.len() && b[k].is_ascii_whitespace() {
                        k += 1;
                    }
                    inserts.push((at, b.get(k) != Some(&b'}')));
                }
                i += 4;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if inserts.is_empty() {
        return None;
    }
    let mut out = query.to_string();
    for (at, comma) in inserts.into_iter().rev() {
        let m = format!("{INFO_PLACEHOLDER}!=\"\"{}", if comma { ", " } else { "" });
        out.insert_str(at, &m);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_only_info_selector_arguments() {
        assert_eq!(
            mark_info_selectors(r#"info(rate(m{a="info(x, {"}[5m]), {data=~".*"})"#).as_deref(),
            Some(r#"info(rate(m{a="info(x, {"}[5m]), {__info_selector__!="", data=~".*"})"#)
        );
        assert_eq!(
            mark_info_selectors("info(m, {})").as_deref(),
            Some(r#"info(m, {__info_selector__!=""})"#)
        );
        assert_eq!(mark_info_selectors("my_info(m, {a=~\".*\"})"), None);
        assert_eq!(mark_info_selectors("info(m)"), None);
    }
}
